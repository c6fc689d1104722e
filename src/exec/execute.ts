// execute: runs an ordered list of operations. Consecutive `ip` operations go through one
// `ip -batch -` process; consecutive sysctl writes through one `sysctl -w` process.
import type { Operation } from '../model.js';
import { NethostError } from '../model.js';
import { inNetns, ipArgv, run } from './run.js';

export interface ExecFailure {
  operation: Operation;
  message: string;
  /** How many operations succeeded before it. */
  done: number;
}

/** One `ip -batch` line. iproute2 splits batch lines on blanks and honours quotes; values are
 *  validated to hold neither, so the only quoting needed is for an empty value (clearing an alias). */
export function batchLine(args: string[]): string {
  return args
    .map((a) => {
      if (a === '') return '""';
      if (/[\s"'#\\]/.test(a)) throw new NethostError(`internal: unsafe value "${a}" in an ip -batch line`);
      return a;
    })
    .join(' ');
}

/** The exact command a person would run for one operation. */
export function commandLine(op: Operation, netns: string | undefined): string[] {
  return op.tool === 'ip' ? ipArgv(netns, ...(op.ipFlags ?? []), ...op.args) : inNetns(netns, ['sysctl', '-q', '-w', ...op.args]);
}

interface Group {
  tool: Operation['tool'];
  flags: string[];
  start: number;
  ops: Operation[];
}

/** Consecutive operations that one process can run: same tool, same options. */
function groups(ops: Operation[]): Group[] {
  const out: Group[] = [];
  ops.forEach((op, i) => {
    const last = out[out.length - 1];
    const flags = op.ipFlags ?? [];
    if (last && last.tool === op.tool && last.flags.join(' ') === flags.join(' ')) last.ops.push(op);
    else out.push({ tool: op.tool, flags, start: i, ops: [op] });
  });
  return out;
}

export async function execute(ops: Operation[], netns: string | undefined): Promise<ExecFailure | undefined> {
  for (const g of groups(ops)) {
    if (g.tool === 'ip') {
      const r = await run(ipArgv(netns, ...g.flags, '-batch', '-'), g.ops.map((o) => batchLine(o.args)).join('\n') + '\n');
      if (r.code === 0) continue;
      // Without -force, ip stops at the first failing line and names it: "Command failed -:N".
      const m = /Command failed -:(\d+)/.exec(r.stderr);
      const idx = m ? Number(m[1]) - 1 : 0;
      const message = r.stderr.split('\n').filter((l) => l.trim() && !/^Command failed/.test(l)).join('; ');
      return { operation: g.ops[Math.min(idx, g.ops.length - 1)], message: message || r.stderr.trim(), done: g.start + idx };
    }
    const r = await run(inNetns(netns, ['sysctl', '-q', '-w', ...g.ops.flatMap((o) => o.args)]));
    if (r.code !== 0 || r.stderr.trim()) {
      const bad = g.ops.find((o) => r.stderr.includes(o.args[0].split('=')[0].replace(/\//g, '.'))) ?? g.ops[0];
      return { operation: bad, message: r.stderr.trim() || `sysctl exited ${r.code}`, done: g.start };
    }
  }
  return undefined;
}
