// iproute2: live state from three `ip -j -batch` processes in parallel (links with addresses and
// neighbours; IPv4 routes and rules; IPv6 routes and rules); changes through `ip -batch -`, one
// process per run of operations that share their options (`-6` for IPv6 rules).
import type { Operation } from '../../model.js';
import { NethostError } from '../../model.js';
import type { Backend, InvocationFailure, RawLive } from '../types.js';
import { ipArgv, run, type RunOptions } from '../../exec/run.js';
import { splitIpBatch } from './json.js';

async function ipBatchJson(netns: string | undefined, flags: string[], commands: string[]): Promise<unknown[][]> {
  const r = await run(ipArgv(netns, ...flags, '-j', '-batch', '-'), {
    input: commands.join('\n') + '\n',
    readOnly: true,
  });
  if (r.code !== 0) {
    const msg = r.stderr.trim();
    if (netns && /Cannot open network namespace|No such file/.test(msg))
      throw new NethostError(`network namespace "${netns}" does not exist (ip netns list shows the ones that do)`);
    throw new NethostError(`reading the live state failed: ${msg}`);
  }
  return splitIpBatch(r.stdout, commands.length);
}

export type IpRaw = Pick<RawLive, 'links' | 'routes4' | 'routes6' | 'rules4' | 'rules6' | 'neighbors'>;

export async function readIpState(netns: string | undefined): Promise<IpRaw> {
  const [[links, neighbors], [routes4, rules4], [routes6, rules6]] = await Promise.all([
    // `nud all`: a plain `neigh show` hides NOARP entries.
    ipBatchJson(netns, ['-d'], ['address show', 'neigh show nud all']),
    ipBatchJson(netns, ['-4'], ['route show table all', 'rule show']),
    ipBatchJson(netns, ['-6'], ['route show table all', 'rule show']),
  ]);
  return { links, neighbors, routes4, rules4, routes6, rules6 } as IpRaw;
}

/** One `ip -batch` line. iproute2 splits batch lines on blanks and honours quotes (without escapes);
 *  an empty value is quoted, and a value no batch line can carry is refused (see batchSafe). */
export function batchLine(args: string[]): string {
  return args
    .map((a) => {
      if (a === '') return '""';
      if (!batchSafe(a)) throw new NethostError(`internal: unsafe value ${JSON.stringify(a)} in an ip -batch line`);
      return a;
    })
    .join(' ');
}

/** Names and addresses hold no blanks, quotes or control characters; an alias may (an adopted
 *  device's own, given back on release or restore): such an operation runs as its own argv. */
const batchSafe = (a: string) => !/[\s"'#\\\x00-\x1f\x7f]/.test(a);
const opBatchSafe = (op: Operation) => op.args.every((a) => a === '' || batchSafe(a));

/** Consecutive batch-safe operations, as one `ip -batch` each; any other operation alone. */
function segments(ops: Operation[]): { start: number; ops: Operation[]; batch: boolean }[] {
  const out: { start: number; ops: Operation[]; batch: boolean }[] = [];
  ops.forEach((op, i) => {
    const batch = opBatchSafe(op);
    const last = out[out.length - 1];
    if (batch && last?.batch) last.ops.push(op);
    else out.push({ start: i, ops: [op], batch });
  });
  return out;
}

async function runSegment(
  seg: { ops: Operation[]; batch: boolean },
  netns: string | undefined,
  control: RunOptions,
): Promise<InvocationFailure | undefined> {
  const flags = seg.ops[0].options ?? [];
  const r = seg.batch
    ? await run(ipArgv(netns, ...flags, '-batch', '-'), {
        ...control,
        input: seg.ops.map((o) => batchLine(o.args)).join('\n') + '\n',
      } satisfies RunOptions)
    : await run(ipArgv(netns, ...flags, ...seg.ops[0].args), control);
  if (r.code === 0 && !r.stopped) return undefined;
  // Without -force, ip stops at the first failing line and names it: "Command failed -:N".
  const m = seg.batch ? /Command failed -:(\d+)/.exec(r.stderr) : null;
  const index = m ? Math.min(Number(m[1]) - 1, seg.ops.length - 1) : 0;
  if (r.stopped) return { index, message: 'stopped', tookEffect: 'prefix', stopped: true };
  const message = r.stderr
    .split('\n')
    .filter((l) => l.trim() && !/^Command failed/.test(l))
    .join('; ');
  return { index, message: message || r.stderr.trim() || `ip exited ${r.code}`, tookEffect: 'prefix' };
}

export const ipBackend: Backend = {
  name: 'ip',
  read: ({ netns }) => readIpState(netns),
  empty: () => ({ links: [], routes4: [], routes6: [], rules4: [], rules6: [], neighbors: [] }),
  groupKey: (op) => (op.options ?? []).join(' '),
  command: (op, netns) => ipArgv(netns, ...(op.options ?? []), ...op.args),
  async run(ops: Operation[], netns, control): Promise<InvocationFailure | undefined> {
    for (const seg of segments(ops)) {
      const failure = await runSegment(seg, netns, control);
      if (failure) return { ...failure, index: seg.start + failure.index };
    }
    return undefined;
  },
};
