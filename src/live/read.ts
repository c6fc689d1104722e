// live: the effectful edge that reads the kernel. Three `ip -batch` processes in parallel (links with
// addresses and neighbours; IPv4 routes and rules; IPv6 routes and rules) and one sysctl read.
import { readFile } from 'node:fs/promises';
import type { RawLive } from './raw.js';
import type { HostFacts } from '../kinds/types.js';
import { inNetns, ipArgv, run } from '../exec/run.js';
import { NethostError } from '../model.js';
import { splitIpBatch } from '../util/ip-json.js';

async function ipBatch(netns: string | undefined, flags: string[], commands: string[]): Promise<unknown[][]> {
  const r = await run(ipArgv(netns, ...flags, '-j', '-batch', '-'), commands.join('\n') + '\n');
  if (r.code !== 0) {
    const msg = r.stderr.trim();
    if (netns && /Cannot open network namespace|No such file/.test(msg))
      throw new NethostError(`network namespace "${netns}" does not exist (ip netns list shows the ones that do)`);
    throw new NethostError(`reading the live state failed: ${msg}`);
  }
  return splitIpBatch(r.stdout, commands.length);
}

export async function readSysctls(netns: string | undefined, paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!paths.length) return out;
  if (!netns) {
    await Promise.all(paths.map(async (p) => {
      try {
        out[p] = (await readFile(`/proc/sys/${p}`, 'utf8')).trim();
      } catch {
        /* absent key (e.g. a link not created yet): to be set */
      }
    }));
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

/** Everything but sysctls: three `ip -j -batch` processes at once. */
export async function readIpState(netns: string | undefined): Promise<Omit<RawLive, 'sysctls'>> {
  const [[links, neighbors], [routes4, rules4], [routes6, rules6]] = await Promise.all([
    // `nud all`: a plain `neigh show` hides NOARP entries.
    ipBatch(netns, ['-d'], ['address show', 'neigh show nud all']),
    ipBatch(netns, ['-4'], ['route show table all', 'rule show']),
    ipBatch(netns, ['-6'], ['route show table all', 'rule show']),
  ]);
  return { links, neighbors, routes4, rules4, routes6, rules6 } as Omit<RawLive, 'sysctls'>;
}

export async function readRawLive(netns: string | undefined, sysctlPaths: string[]): Promise<RawLive> {
  const [state, sysctls] = await Promise.all([readIpState(netns), readSysctls(netns, sysctlPaths)]);
  return { ...state, sysctls };
}

function parseIdFile(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2])) out[f[0]] = Number(f[2]);
  }
  return out;
}

function parseTables(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line);
    if (m) out[m[2]] = Number(m[1]);
  }
  return out;
}

const readOr = (p: string) => readFile(p, 'utf8').catch(() => '');

export async function readHostFacts(): Promise<HostFacts> {
  const [passwd, group, tables] = await Promise.all([readOr('/etc/passwd'), readOr('/etc/group'), readOr('/etc/iproute2/rt_tables')]);
  return { users: parseIdFile(passwd), groups: parseIdFile(group), tables: parseTables(tables) };
}
