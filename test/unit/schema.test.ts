// The published JSON Schema (schema/nethost.schema.json, for editors) is generated from the zod schemas
// that validate files: build.mjs writes it. It is compared here byte for byte with what the schemas
// make now, so a change to a schema cannot leave the published one behind.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { jsonSchema } from '../../src/config/schema.js';

it('schema/nethost.schema.json is what the zod schemas make (as build.mjs writes it)', () => {
  const now = JSON.stringify(jsonSchema(), null, 2) + '\n';
  const committed = readFileSync(new URL('../../schema/nethost.schema.json', import.meta.url), 'utf8');
  // toBe would print both whole files; say where they part and what to do.
  if (committed !== now) {
    let i = 0;
    while (committed[i] === now[i]) i++;
    const line = committed.slice(0, i).split('\n').length;
    expect.fail(
      `schema/nethost.schema.json is stale (it differs from the zod schemas at line ${line}): run npm run build and commit it`,
    );
  }
});
