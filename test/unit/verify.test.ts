// The verification after an apply retries a bounded number of times for what the kernel settles
// late, and reports what still differs after the last read.
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/engine/verify.js';
import { desired, live } from './fixtures.js';

const FILE = 'version: 1\ninterfaces:\n  br9: {kind: bridge, addresses: [192.0.2.9/24]}\n';

describe('verify', () => {
  const d = desired(FILE);
  const notYet = live('empty');

  it('a state that settles on the second read is verified, after exactly two reads', async () => {
    // The applied state: the same file planned against the empty namespace, as if made.
    const made = live('empty');
    for (const r of d.resources.values()) made.resources.set(r.id, { ...r, attrs: { ...r.attrs } });
    const reads: number[] = [];
    const plan = await verify(
      d,
      async (n) => (reads.push(n), n === 0 ? notYet : made),
      () => false,
      [0, 0],
    );
    expect(plan.changes).toEqual([]);
    expect(reads).toEqual([0, 1]);
  });

  it('a state that never settles is reported after the bounded number of reads', async () => {
    const reads: number[] = [];
    const plan = await verify(
      d,
      async (n) => (reads.push(n), notYet),
      () => false,
      [0, 0],
    );
    expect(plan.changes.map((c) => c.id).sort()).toEqual(['address:br9:192.0.2.9/24', 'link:br9']);
    expect(reads).toEqual([0, 1, 2]);
  });

  it('a signal stops the retries at once', async () => {
    const reads: number[] = [];
    await verify(
      d,
      async (n) => (reads.push(n), notYet),
      () => true,
      [0, 0],
    );
    expect(reads).toEqual([0]);
  });
});
