// The whole file as one zod schema, assembled from the registry: the source of the published JSON Schema
// (schema/nethost.schema.json). Validation itself goes kind by kind (better errors), with the same schemas.
import { z } from 'zod';
import { LINK_KINDS, SECTION_KINDS } from '../registry/kinds.js';
import { text } from '../kinds/fields.js';

export function fileSchema() {
  const link = z.discriminatedUnion('kind', LINK_KINDS.map((k) => k.schema) as any);
  const sections = Object.fromEntries(SECTION_KINDS.map((k) => [k.section, k.schema.optional()]));
  return z
    .object({
      version: z.literal(1),
      interfaces: z.record(text, link).optional().describe('links keyed by kernel name (at most 15 bytes)'),
      ...sections,
    })
    .strict();
}

export function jsonSchema(): unknown {
  return {
    $id: 'https://nethost.invalid/schema/nethost-v1.json',
    title: 'nethost file, version 1',
    ...(z.toJSONSchema(fileSchema(), { io: 'input', unrepresentable: 'any' }) as object),
  };
}
