// Per-namespace sysctls: read only the keys the file (or a snapshot) names, written with one
// `sysctl -w` per run of operations, inside the namespace (`ip netns exec`).
import { readFile } from 'node:fs/promises';
import type { DesiredState } from '../../model.js';
import type { Backend } from '../types.js';
import { inNetns, run } from '../../exec/run.js';

export async function readSysctls(netns: string | undefined, paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!paths.length) return out;
  if (!netns) {
    await Promise.all(
      paths.map(async (p) => {
        try {
          out[p] = (await readFile(`/proc/sys/${p}`, 'utf8')).trim();
        } catch {
          /* absent key (e.g. a link not created yet): to be set */
        }
      }),
    );
    return out;
  }
  // sysctl(8) prints "key = value" per key it could read; -e skips keys that do not exist (yet).
  const r = await run(inNetns(netns, ['sysctl', '-e', ...paths]), { readOnly: true });
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+) = ?(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].replace(/\./g, '/');
    // sysctl prints keys dotted; map back to the path we asked for (link names may hold dots).
    const p = paths.find((x) => x.replace(/\./g, '/') === key) ?? key;
    out[p] = m[2].trim();
  }
  return out;
}

/** The id of the resource of one sysctl (a path: net/ipv4/ip_forward); the backend reads the keys
 *  of the resources with such ids. */
const SYSCTL_ID = 'sysctl:';
export const sysctlId = (path: string) => `${SYSCTL_ID}${path}`;

export const sysctlKeys = (...states: (DesiredState | undefined)[]) => [
  ...new Set(
    states.flatMap((s) =>
      s ? [...s.resources.values()].filter((r) => r.id.startsWith(SYSCTL_ID)).map((r) => String(r.attrs.key)) : [],
    ),
  ),
];

/** Bytes of `key=value` arguments per `sysctl -w` process (Linux allows ~2 MB in all, 128 KB per argument). */
const ARGV_BUDGET = 256 * 1024;

/** Consecutive runs of operations whose arguments add up to less than `budget` bytes (at least one each). */
export function chunkByBytes<T extends { args: string[] }>(ops: T[], budget: number): T[][] {
  const out: T[][] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = op.args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
    if (!out.length || bytes + size > budget) out.push([]), (bytes = 0);
    out[out.length - 1].push(op);
    bytes += size;
  }
  return out;
}

const sysctlArgv = (netns: string | undefined, args: string[]) => inNetns(netns, ['sysctl', '-q', '-w', ...args]);

declare module '../types.js' {
  interface RawLive {
    /** Only the keys the file names (sysctls have no listing worth reading in full). */
    sysctls: Record<string, string>;
  }
}

export const sysctlBackend: Backend = {
  name: 'sysctl',
  async read({ netns, desired, also = [] }) {
    return { sysctls: await readSysctls(netns, sysctlKeys(await desired, ...also)) };
  },
  empty: () => ({ sysctls: {} }),
  groupKey: () => '',
  command: (op, netns) => sysctlArgv(netns, op.args),
  async run(ops, netns, control) {
    // Chunks well under the kernel's argument limit (a value may be 4 KB, a file may hold thousands).
    let start = 0;
    for (const chunk of chunkByBytes(ops, ARGV_BUDGET)) {
      const end = start + chunk.length;
      const r = await run(
        sysctlArgv(
          netns,
          chunk.flatMap((o) => o.args),
        ),
        control,
      );
      if (r.stopped) return { index: start, message: 'stopped', tookEffect: 'prefix', stopped: true };
      if (r.code !== 0 || r.stderr.trim()) {
        const i = Math.max(
          0,
          chunk.findIndex((o) => r.stderr.includes(o.args[0].split('=')[0].replace(/\//g, '.'))),
        );
        // sysctl -w goes on after a key it cannot write: any of the others may have taken effect.
        return { index: start + i, message: r.stderr.trim() || `sysctl exited ${r.code}`, tookEffect: 'prefix' };
      }
      start = end;
    }
    return undefined;
  },
};
