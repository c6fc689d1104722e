// The conformance test (test/helpers/conformance.ts) of the kinds whose samples need a kernel facility
// (KindSample.needs): the kinds the host test (test/integration/conformance.test.ts) leaves to the
// lab, derived the same way (test/helpers/needs.ts: labKinds). Each one's needs must be met here, in
// Debian's full kernel: a kind that needs what neither place has fails, it is never skipped.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { ALL_KINDS } from '../../src/registry/kinds.js';
import { deleteAllNetns } from '../helpers/netns.js';
import { stopAllOvs } from '../helpers/ovs.js';
import { describeKind } from '../helpers/conformance.js';
import { labKinds, sampleNeeds, whyUnavailable } from '../helpers/needs.js';

requireLab();
afterAll(() => (stopAllOvs(), deleteAllNetns()));

const kinds = labKinds();

beforeAll(() => {
  // Probed (and their modules loaded) before the kinds' own namespaces are made.
  for (const k of kinds) for (const n of sampleNeeds(k)) whyUnavailable(n);
});

it('runs the kinds with a kernel need, each of whose needs this kernel has', () => {
  expect(kinds.length).toBeGreaterThan(0);
  const lacking = kinds.flatMap((k) =>
    sampleNeeds(k).flatMap((n) => (whyUnavailable(n) === undefined ? [] : [`${k} needs ${n}: ${whyUnavailable(n)}`])),
  );
  expect(lacking).toEqual([]);
});

for (const kind of ALL_KINDS) if (kinds.includes(kind.name)) describeKind(kind);
