// Found reviewing the architecture refactoring (issue 22), one test per finding: each failed on
// the refactored code before its fix.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAgainstLive } from '../../src/config/load.js';
import { JOURNAL_VERSION, readJournal, writeJournal } from '../../src/exec/journal.js';
import { liveToJson } from '../../src/exec/serial.js';
import { FIREWALL_ID } from '../../src/backends/nft/view.js';
import type { LiveState, Resource } from '../../src/model.js';
import { desired, live } from './fixtures.js';

describe('the checks against the live state', () => {
  // Before the refactoring, the firewall's checks came first and the routes' after them; route
  // checks became the route kind's checkLive, so the order followed the resources' (routes before
  // the firewall) and a firewall error written above the routes came last — or fell past the
  // printed ones (commands/base.ts prints the first few, "in line order").
  it("are in the file's line order, as validate's are, whichever kind makes them", () => {
    const file = `version: 1
interfaces:
  uplink0: {kind: ethernet}
firewall:
  masquerade:
    - {out: nosuch0}
routes:
  - {to: 10.1.0.0/16, via: 10.99.0.1}
  - {to: 10.2.0.0/16, via: 10.98.0.1}
  - {to: 198.51.100.0/24, via: 10.97.0.1}
`;
    const problems = checkAgainstLive(desired(file), live('rich'));
    expect(problems.map((p) => `${p.source?.line}:${p.source?.col}`)).toEqual([
      '6:13', // interface "nosuch0" is neither in the file nor in this namespace
      '8:5',
      '9:5',
      '10:5', // the kernel's own route …
      '10:5', // … and its gateway, in that order (a route's own checks keep theirs)
    ]);
    expect(problems[3].message).toMatch(/the kernel's own route/);
    expect(problems[4].message).toMatch(/gateway 10\.97\.0\.1 is not reachable/);
  });
});

describe('the journal', () => {
  // The refactoring moved what the engine carries (nft's listing a rollback loads, someone else's
  // OVS map values) from attributes into Resource.carried, without a new journal version: a journal
  // left by the earlier nethost (kill -9, then an upgrade) read as this one's would roll the
  // firewall back from its rendered text instead of nft's listing, and drop the OVS values to put back.
  it('of the format before Resource.carried is not read as the current one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nethost-journal-'));
    try {
      const base = join(dir, 'net-x');
      const fw: Resource = {
        id: FIREWALL_ID,
        kind: 'firewall',
        owned: true,
        deps: [],
        attrs: { tables: ['inet'], chains: [], rules: [], others: [], json: ['{"nftables":[]}'], listed: true },
      };
      const snapshot: LiveState = { resources: new Map([[fw.id, fw]]), linkNames: new Set(), addresses: [] };
      // As 9f81133 wrote it: version 1, the listing among the attributes.
      const old = {
        version: 1,
        pid: 1,
        pidStart: null,
        netns: null,
        file: 'f.yaml',
        startedAt: '2024-01-01T00:00:00.000Z',
        changes: [],
        operations: [],
        snapshot: liveToJson(snapshot),
      };
      writeFileSync(`${base}.journal`, JSON.stringify(old));
      expect(() => readJournal(base)).toThrow(/journal version 1, this nethost reads/);
      // The current format still round-trips, carried included.
      const now: Resource = { ...fw, attrs: { tables: ['inet'], chains: [], rules: [], others: [] } };
      now.carried = { json: ['{"nftables":[]}'], listed: true };
      writeJournal(base, {
        netns: null,
        file: 'f.yaml',
        changes: [],
        operations: [],
        snapshot: { ...snapshot, resources: new Map([[now.id, now]]) },
      });
      const back = readJournal(base)!;
      expect(back.journal.version).toBe(JOURNAL_VERSION);
      expect(back.snapshot.resources.get(FIREWALL_ID)).toEqual(now);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
