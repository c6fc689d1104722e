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
  const r = await run(inNetns(netns, ['sysctl', '-e', ...paths]));
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

export const sysctlKeys = (...states: (DesiredState | undefined)[]) => [
  ...new Set(states.flatMap((s) => (s ? [...s.resources.values()].filter((r) => r.kind === 'sysctl').map((r) => String(r.attrs.key)) : []))),
];

const sysctlArgv = (netns: string | undefined, args: string[]) => inNetns(netns, ['sysctl', '-q', '-w', ...args]);

export const sysctlBackend: Backend = {
  name: 'sysctl',
  async read({ netns, desired, also = [] }) {
    return { sysctls: await readSysctls(netns, sysctlKeys(await desired, ...also)) };
  },
  empty: () => ({ sysctls: {} }),
  groupKey: () => '',
  command: (op, netns) => sysctlArgv(netns, op.args),
  async run(ops, netns, control) {
    const r = await run(sysctlArgv(netns, ops.flatMap((o) => o.args)), control);
    if (r.stopped) return { index: 0, message: 'stopped', tookEffect: 'prefix', stopped: true };
    if (r.code === 0 && !r.stderr.trim()) return undefined;
    const index = Math.max(0, ops.findIndex((o) => r.stderr.includes(o.args[0].split('=')[0].replace(/\//g, '.'))));
    // sysctl -w goes on after a key it cannot write: any of the others may have taken effect.
    return { index, message: r.stderr.trim() || `sysctl exited ${r.code}`, tookEffect: 'prefix' };
  },
};
