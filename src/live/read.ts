// live: the effectful edge that reads the host, through the backends (src/backends/), plus the host
// facts the pure core needs (user, group and routing-table names).
import { readdirSync, readFileSync } from 'node:fs';
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

const readOr = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

/** A file of iproute2's with its `.d` directory (`NAME.d/*.conf`), as ip reads them. */
function withConfDir(path: string): string {
  let names: string[] = [];
  try {
    names = readdirSync(`${path}.d`);
  } catch {
    /* no such directory */
  }
  return [
    readOr(path),
    ...names
      .filter((n) => n.endsWith('.conf'))
      .sort()
      .map((n) => readOr(`${path}.d/${n}`)),
  ].join('\n');
}

/**
 * The host's names for users, groups, routing tables and protocols. Each file is read when a name
 * is first looked up, not before the live read starts: a file without taps never reads
 * /etc/passwd or /etc/group, one without a firewall never reads /etc/protocols (small local files:
 * read synchronously, as ip and nft read them).
 */
export async function readHostFacts(): Promise<HostFacts> {
  let users: Record<string, number> | undefined;
  let groups: Record<string, number> | undefined;
  let tables: Record<string, number> | undefined;
  let protos: Record<string, number> | undefined;
  let protocols: Record<string, number> | undefined;
  return {
    get users() {
      return (users ??= parseIdFile(readOr('/etc/passwd')));
    },
    get groups() {
      return (groups ??= parseIdFile(readOr('/etc/group')));
    },
    get tables() {
      return (tables ??= parseTables(withConfDir('/etc/iproute2/rt_tables')));
    },
    get protos() {
      return (protos ??= parseTables(withConfDir('/etc/iproute2/rt_protos')));
    },
    get protocols() {
      return (protocols ??= parseProtocols(readOr('/etc/protocols')));
    },
  };
}
