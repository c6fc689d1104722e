// A conformance test per registered kind, driven by the registry: each kind's sample (KindSample) is
// created, planned again, changed in place, applied again with a failure midway (rolled back), and
// removed, through the CLI in a fresh namespace (test/helpers/conformance.ts). A kind runs here when
// this machine has everything its sample needs (probed: test/helpers/needs.ts), else in the kernel
// lab (test/lab/conformance.lab.test.ts, which derives its kinds the same way): nothing is skipped
// silently, and a kind whose needs neither place has fails here.
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_KINDS } from '../../src/registry/kinds.js';
import { deleteAllNetns } from '../helpers/netns.js';
import { stopAllOvs } from '../helpers/ovs.js';
import { CHECKERS, describeKind } from '../helpers/conformance.js';
import { isKernelNeed, labKinds, NEEDS, runsHere, runsInLab, sampleNeeds, whyUnavailable } from '../helpers/needs.js';

afterAll(() => (stopAllOvs(), deleteAllNetns()));

describe('the registry', () => {
  it('every registered kind has a sample', () => {
    expect(ALL_KINDS.filter((k) => !k.sample).map((k) => k.name)).toEqual([]);
  });
  it('every registered kind has a checker here, and every checker a kind', () => {
    expect(Object.keys(CHECKERS).sort()).toEqual(ALL_KINDS.map((k) => k.name).sort());
  });
  it('every need a sample names can be probed', () => {
    for (const k of ALL_KINDS)
      for (const n of k.sample?.needs ?? []) expect(Object.keys(NEEDS), `${k.name} needs ${n}`).toContain(n);
  });
  it('the kinds skipped here are the kinds the lab runs (never one that neither place runs)', () => {
    const skipped = ALL_KINDS.map((k) => k.name).filter((k) => !runsHere(sampleNeeds(k)));
    for (const k of skipped) {
      const lacking = sampleNeeds(k).filter((n) => whyUnavailable(n) !== undefined);
      // A need of the userspace missing here is missing in the lab too: it runs on this machine's userspace.
      expect(
        runsInLab(sampleNeeds(k)),
        `${k} needs ${lacking.join(', ')}: unavailable here, and not a kernel facility the lab could add`,
      ).toBe(true);
    }
    // The lab runs every kind with a kernel need (it cannot know this host's kernel); one this host's
    // kernel has would run in both places, which is harmless: the assertion is that none is dropped.
    expect(
      labKinds()
        .filter((k) => skipped.includes(k))
        .sort(),
    ).toEqual([...skipped].sort());
  });
});

for (const kind of ALL_KINDS) {
  if (!kind.sample) continue; // reported above
  const needs = kind.sample.needs ?? [];
  if (runsHere(needs)) describeKind(kind);
  else
    describe(kind.name, () => {
      it(`runs in the kernel lab: needs ${needs.filter((n) => !runsHere([n])).join(', ')}, unavailable here`, () => {
        expect(needs.filter((n) => !runsHere([n])).every(isKernelNeed)).toBe(true);
        expect(labKinds()).toContain(kind.name);
      });
    });
}
