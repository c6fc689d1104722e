// Backends' pure parts: how operations are grouped into invocations.
import { describe, expect, it } from 'vitest';
import { chunkByBytes } from '../../src/backends/sysctl/backend.js';
import { invocations } from '../../src/engine/execute.js';
import type { Operation } from '../../src/model.js';

const op = (backend: string, args: string[], options?: string[]): Operation => ({
  resource: 'r',
  action: 'create',
  phase: 'put',
  backend,
  args,
  disruptive: false,
  ...(options ? { options } : {}),
});

describe('invocations', () => {
  it('one per run of consecutive operations of one backend with the same options', () => {
    const ops = [
      op('ip', ['a']),
      op('ip', ['b']),
      op('ip', ['c'], ['-6']),
      op('ip', ['d'], ['-6']),
      op('sysctl', ['k=1']),
      op('sysctl', ['j=2']),
      op('ip', ['e']),
    ];
    expect(invocations(ops).map((i) => [i.start, i.ops.map((o) => o.args[0]).join('')])).toEqual([
      [0, 'ab'],
      [2, 'cd'],
      [4, 'k=1j=2'],
      [6, 'e'],
    ]);
  });
});

describe('sysctl writes', () => {
  it('are split so that no sysctl -w gets more argument bytes than its budget (E2BIG), in order, each op once', () => {
    const ops = Array.from({ length: 300 }, (_, i) => op('sysctl', [`net/ipv4/conf/l${i}/x=${'1'.repeat(4000)}`]));
    const chunks = chunkByBytes(ops, 256 * 1024);
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.flat()).toEqual(ops);
    for (const c of chunks) expect(c.reduce((n, o) => n + o.args[0].length + 1, 0)).toBeLessThanOrEqual(256 * 1024);
    expect(chunkByBytes([op('sysctl', ['x'.repeat(300_000)])], 1000)).toHaveLength(1); // an oversize one still runs, alone
  });
});
