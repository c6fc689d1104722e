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

/** Parses an IPv6 address into 8 16-bit groups (accepts an embedded dotted IPv4 tail).
 *  One pass over the characters: this runs for every address read or written on a big host. */
export function parseIPv6(s: string): number[] | undefined {
  const n = s.length;
  if (n < 2 || n > 45) return undefined;
  const groups: number[] = [];
  let gap = -1; // where '::' stands, as an index into groups
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return undefined;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    let v = 0;
    let j = i;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (h < 0) break;
      v = v * 16 + h;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      const v4 = groups.length <= 6 ? parseIPv4(s.slice(i)) : undefined;
      if (!v4) return undefined;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      break;
    }
    if (j === i || j - i > 4 || groups.length === 8) return undefined;
    groups.push(v);
    if (j === n) break;
    if (s.charCodeAt(j) !== 58 || j + 1 === n) return undefined;
    if (s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return undefined;
      gap = groups.length;
      j++;
    }
    i = j + 1;
  }
  if (gap < 0) return groups.length === 8 ? groups : undefined;
  if (groups.length > 7) return undefined;
  const out = groups.slice(0, gap);
  for (let k = groups.length; k < 8; k++) out.push(0);
  for (let k = gap; k < groups.length; k++) out.push(groups[k]);
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

// Canonical forms are asked for the same texts again and again (file, live state, checks): memoised.
// Results are frozen, as they are shared.
const MEMO_LIMIT = 100_000;
function memo<R>(fn: (s: string) => R): (s: string) => R {
  const cache = new Map<string, R>();
  return (s: string) => {
    let r = cache.get(s);
    if (r === undefined && !cache.has(s)) {
      r = fn(s);
      if (r && typeof r === 'object') Object.freeze(r);
      if (cache.size >= MEMO_LIMIT) cache.clear();
      cache.set(s, r);
    }
    return r as R;
  };
}

export const canonicalIp: (s: string) => Readonly<{ family: Family; ip: string }> | undefined = memo((s) => {
  const v4 = parseIPv4(s);
  if (v4) return { family: 4 as Family, ip: v4.join('.') };
  const v6 = parseIPv6(s);
  if (v6) return { family: 6 as Family, ip: formatIPv6(v6) };
  return undefined;
});

const parseCidrStrict = memo((s) => parseCidrText(s, true));
const parseCidrLoose = memo((s) => parseCidrText(s, false));
export function parseCidr(s: string, requirePrefix = true): Readonly<Cidr> | undefined {
  return requirePrefix ? parseCidrStrict(s) : parseCidrLoose(s);
}

function parseCidrText(s: string, requirePrefix: boolean): Cidr | undefined {
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

const networkMemo = memo((key: string): Cidr | undefined => {
  const slash = key.lastIndexOf('/');
  const ip = key.slice(0, slash);
  const prefix = Number(key.slice(slash + 1));
  const v4 = parseIPv4(ip);
  if (v4) {
    const out = v4.map((b, i) => b & (0xff << (8 - Math.max(0, Math.min(8, prefix - i * 8)))) & 0xff);
    return { family: 4, ip: out.join('.'), prefix };
  }
  const g = parseIPv6(ip);
  if (!g) return undefined;
  for (let i = 0; i < 8; i++) g[i] &= (0xffff << (16 - Math.max(0, Math.min(16, prefix - i * 16)))) & 0xffff;
  return { family: 6, ip: formatIPv6(g), prefix };
});

/** The network part of a prefix (host bits zeroed), as the kernel stores route destinations. */
export function networkOf(c: Cidr): Readonly<Cidr> {
  return networkMemo(`${c.ip}/${c.prefix}`) ?? c;
}

export function contains(net: Cidr, ip: string): boolean {
  const a = canonicalIp(ip);
  if (!a || a.family !== net.family) return false;
  return networkOf({ ...a, prefix: net.prefix }).ip === networkOf(net).ip;
}

/** 224.0.0.0/4 or ff00::/8, for a canonical address. */
export function isMulticast(ip: string): boolean {
  // The first group, as written without leading zeros: ff02:: is multicast, ff:: (00ff::) is not.
  if (ip.includes(':')) return parseInt(ip.slice(0, ip.indexOf(':')) || '0', 16) >= 0xff00;
  const first = Number(ip.slice(0, ip.indexOf('.')));
  return first >= 224 && first <= 239;
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
