// live: the effectful edge that reads the host, through the backends (src/backends/), plus the host
// facts the pure core needs (user, group and routing-table names).
import { readdir, readFile } from 'node:fs/promises';
import type { RawLive } from '../backends/types.js';
import type { HostFacts } from '../kinds/types.js';
import type { ReadContext } from '../backends/types.js';
import { BACKENDS } from '../registry/backends.js';

/**
 * The raw live state: every backend reads its part at once. Reads that depend on the file (sysctl
 * keys) wait for `desired`, so the rest overlaps loading it.
 */
export async function readRawLive(
  ctx: ReadContext,
  early?: ReadonlyMap<string, Promise<Partial<RawLive>>>,
  parts?: Map<string, Partial<RawLive>>,
): Promise<RawLive> {
  // A part already being read (apply's verification, started once its backend's last operation ran).
  const read = await Promise.all(BACKENDS.map((b) => early?.get(b.name) ?? b.read(ctx)));
  BACKENDS.forEach((b, i) => parts?.set(b.name, read[i]));
  return Object.assign({}, ...read) as RawLive;
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

/** /etc/protocols: `name number aliases…` (nft prints a protocol number by this name). */
function parseProtocols(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9][\w.+-]*)\s+(\d+)/.exec(line);
    if (m && !(m[1] in out)) out[m[1]] = Number(m[2]);
  }
  return out;
}

const readOr = (p: string) => readFile(p, 'utf8').catch(() => '');

/** A file of iproute2's with its `.d` directory (`NAME.d/*.conf`), as ip reads them. */
async function withConfDir(path: string): Promise<string> {
  const names = await readdir(`${path}.d`).catch(() => [] as string[]);
  const parts = await Promise.all([
    readOr(path),
    ...names
      .filter((n) => n.endsWith('.conf'))
      .sort()
      .map((n) => readOr(`${path}.d/${n}`)),
  ]);
  return parts.join('\n');
}

export async function readHostFacts(): Promise<HostFacts> {
  const [passwd, group, tables, protos, protocols] = await Promise.all([
    readOr('/etc/passwd'),
    readOr('/etc/group'),
    withConfDir('/etc/iproute2/rt_tables'),
    withConfDir('/etc/iproute2/rt_protos'),
    readOr('/etc/protocols'),
  ]);
  return {
    users: parseIdFile(passwd),
    groups: parseIdFile(group),
    tables: parseTables(tables),
    protos: parseTables(protos),
    protocols: parseProtocols(protocols),
  };
}
