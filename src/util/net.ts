// Canonical forms for addresses, prefixes and MACs, so that desired and live values compare as equal
// whatever way a person (or the kernel) wrote them.

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  ip: string; // canonical address text
  prefix: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIPv4(s: string): number[] | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1].length > 1 && m[i + 1].startsWith('0')))) return undefined;
  return parts;
}

/** Parses an IPv6 address into 8 16-bit groups (accepts an embedded dotted IPv4 tail). */
export function parseIPv6(s: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return undefined;
  let head = s;
  let tail4: number[] | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return undefined;
  const toGroups = (p: string) => (p === '' ? [] : p.split(':'));
  const left = toGroups(dbl[0]);
  const right = dbl.length === 2 ? toGroups(dbl[1]) : [];
  const missing = 8 - left.length - right.length;
  if (dbl.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array(dbl.length === 2 ? missing : 0).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  const out: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    out.push(parseInt(g, 16));
  }
  if (tail4) {
    out[6] = (tail4[0] << 8) | tail4[1];
    out[7] = (tail4[2] << 8) | tail4[3];
  }
  return out;
}

/** RFC 5952 text: lower case, longest run (>1) of zero groups compressed. */
export function formatIPv6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

export function canonicalIp(s: string): { family: Family; ip: string } | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { family: 4, ip: v4.join('.') };
  const v6 = parseIPv6(s);
  if (v6) return { family: 6, ip: formatIPv6(v6) };
  return undefined;
}

export function parseCidr(s: string, requirePrefix = true): Cidr | undefined {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const ip = canonicalIp(addr);
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  if (slash < 0) return requirePrefix ? undefined : { ...ip, prefix: max };
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
  return { ...ip, prefix: Number(p) };
}

export function formatCidr(c: Cidr): string {
  return `${c.ip}/${c.prefix}`;
}

function bits(ip: string): number[] {
  const v4 = parseIPv4(ip);
  if (v4) return v4;
  return (parseIPv6(ip) ?? []).flatMap((g) => [g >> 8, g & 0xff]);
}

/** The network part of a prefix (host bits zeroed), as the kernel stores route destinations. */
export function networkOf(c: Cidr): Cidr {
  const bytes = bits(c.ip);
  const out = bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, c.prefix - i * 8));
    return b & (0xff << (8 - keep)) & 0xff;
  });
  const ip =
    c.family === 4
      ? out.join('.')
      : formatIPv6(Array.from({ length: 8 }, (_, i) => (out[2 * i] << 8) | out[2 * i + 1]));
  return { family: c.family, ip, prefix: c.prefix };
}

export function contains(net: Cidr, ip: string): boolean {
  const a = canonicalIp(ip);
  if (!a || a.family !== net.family) return false;
  return networkOf({ ...a, prefix: net.prefix }).ip === networkOf(net).ip;
}

const MAC = /^([0-9a-fA-F]{1,2})([:-])([0-9a-fA-F]{1,2})(\2[0-9a-fA-F]{1,2}){4}$/;
export function canonicalMac(s: string): string | undefined {
  if (!MAC.test(s)) return undefined;
  return s
    .split(/[:-]/)
    .map((x) => x.toLowerCase().padStart(2, '0'))
    .join(':');
}

/** Route destinations: `default` and the host/network forms all become a canonical prefix. */
export function canonicalDestination(to: string, family: Family): string | undefined {
  if (to === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  const c = parseCidr(to, false);
  if (!c) return undefined;
  return formatCidr(networkOf(c));
}

export function familyOfDestination(to: string): Family | undefined {
  if (to === 'default') return undefined;
  return parseCidr(to, false)?.family;
}

/** Numbers written as 0x.. or decimal; fwmark/mask pairs stay in hex as iproute2 prints them. */
export function parseIntLoose(s: string | number): number | undefined {
  if (typeof s === 'number') return Number.isInteger(s) ? s : undefined;
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s, 16);
  if (/^\d+$/.test(s)) return parseInt(s, 10);
  return undefined;
}

export function canonicalMark(s: string | number): string | undefined {
  const [v, m, extra] = String(s).split('/');
  if (extra !== undefined) return undefined;
  const value = parseIntLoose(v);
  const mask = m === undefined ? 0xffffffff : parseIntLoose(m);
  if (value === undefined || mask === undefined || value > 0xffffffff || mask > 0xffffffff) return undefined;
  return `0x${value.toString(16)}/0x${mask.toString(16)}`;
}

/**
 * Which prefixes cover an address, answered by hashing: one network computation per distinct prefix
 * length instead of one per (address, prefix) pair, so reachability checks stay linear on big hosts.
 */
export function coverageIndex<T>(entries: { cidr: string; value: T }[]): (ip: string) => T[] {
  const byLen = new Map<string, Map<string, T[]>>();
  for (const e of entries) {
    const c = parseCidr(e.cidr);
    if (!c) continue;
    const key = `${c.family}/${c.prefix}`;
    let nets = byLen.get(key);
    if (!nets) byLen.set(key, (nets = new Map()));
    const net = networkOf(c).ip;
    const list = nets.get(net);
    list ? list.push(e.value) : nets.set(net, [e.value]);
  }
  const lens = [...byLen.keys()].map((k) => k.split('/').map(Number) as [Family, number]);
  return (ip: string) => {
    const a = canonicalIp(ip);
    if (!a) return [];
    const out: T[] = [];
    for (const [fam, prefix] of lens) {
      if (fam !== a.family) continue;
      const hit = byLen.get(`${fam}/${prefix}`)!.get(networkOf({ ...a, prefix }).ip);
      if (hit) out.push(...hit);
    }
    return out;
  };
}
