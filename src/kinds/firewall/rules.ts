// The file's firewall and guards → nethost's two tables, each rule in the canonical text that
// `nft list table` prints for it (see print.ts), with the position in the file it came from.
// Pure. Errors (families that do not match, a range upside down …) are returned positioned.
import type { Diagnostic, SourceRef } from '../../model.js';
import { canonicalIp, canonicalMac, networkOf, parseCidr, parseIPv4, parseIPv6, type Family } from '../../util/net.js';
import type { Firewall, Guard, Rule } from './schema.js';

export type TableFamily = 'inet' | 'bridge';

export interface RuleLine {
  table: TableFamily;
  chain: string;
  text: string;
  source?: SourceRef;
}

export interface ChainLine {
  table: TableFamily;
  name: string;
  /** `type … hook … priority N; policy P;`, '' for a regular chain. */
  header: string;
}

export interface Tables {
  chains: ChainLine[];
  rules: RuleLine[];
}

type At = (path: (string | number)[]) => SourceRef | undefined;

const ICMP_TYPES: Record<string, number> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
  'info-request': 15,
  'info-reply': 16,
  'address-mask-request': 17,
  'address-mask-reply': 18,
};
const ICMPV6_TYPES: Record<string, number> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'mld-listener-query': 130,
  'mld-listener-report': 131,
  'mld-listener-done': 132,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
  'nd-redirect': 137,
  'router-renumbering': 138,
  'ind-neighbor-solicit': 141,
  'ind-neighbor-advert': 142,
  'mld2-listener-report': 143,
};
const PROTO_NUMBERS: Record<string, number> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  sctp: 132,
};

/** How nft names a protocol number: the host's /etc/protocols name (what nft itself prints), or the number. */
export type ProtoNames = (n: number) => string;

export const ND_TYPES = 'icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }';

const famWord = (f: Family) => (f === 4 ? 'ip' : 'ip6');

function ipKey(ip: string): bigint {
  const v4 = parseIPv4(ip);
  if (v4) return BigInt(v4.reduce((a, b) => a * 256 + b, 0));
  const v6 = parseIPv6(ip)!;
  return v6.reduce((a, g) => a * 65536n + BigInt(g), 0n);
}

/** A prefix as nft lists it: host bits cleared, a full-length prefix as the bare address. */
export function nftPrefix(text: string): { family: Family; text: string; key: bigint } | undefined {
  const c = parseCidr(text, false);
  if (!c) return undefined;
  const n = networkOf(c);
  const full = n.prefix === (n.family === 4 ? 32 : 128);
  return { family: n.family, text: full ? n.ip : `${n.ip}/${n.prefix}`, key: ipKey(n.ip) };
}

/** One value or an anonymous set, elements in the order nft lists them (by value). */
function setOf(items: { text: string; key: bigint | number }[]): string {
  const sorted = [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const uniq = sorted.filter((x, i) => i === 0 || x.text !== sorted[i - 1].text);
  return uniq.length === 1 ? uniq[0].text : `{ ${uniq.map((x) => x.text).join(', ')} }`;
}

export class Renderer {
  readonly diagnostics: Diagnostic[] = [];
  readonly chains: ChainLine[] = [];
  readonly rules: RuleLine[] = [];
  private readonly chainKeys = new Set<string>();

  constructor(
    private readonly at: At,
    readonly protoName: ProtoNames,
  ) {}

  error(path: (string | number)[], message: string, hint: string) {
    this.diagnostics.push({ severity: 'error', message, hint, path, source: this.at(path) });
  }

  chain(table: TableFamily, name: string, header: string) {
    const key = `${table} ${name}`;
    if (this.chainKeys.has(key)) return;
    this.chainKeys.add(key);
    this.chains.push({ table, name, header });
  }

  // A guard's rules share a few paths: each looked up in the file once.
  private readonly sources = new WeakMap<(string | number)[], SourceRef | undefined>();

  rule(table: TableFamily, chain: string, text: string, path?: (string | number)[]) {
    let source: SourceRef | undefined;
    if (path) {
      source = this.sources.get(path);
      if (source === undefined && !this.sources.has(path)) this.sources.set(path, (source = this.at(path)));
    }
    this.rules.push({ table, chain, text, source });
  }

  /** Prefixes of one family, or an error naming the field. */
  prefixes(
    value: string | string[] | undefined,
    path: (string | number)[],
    want?: Family,
  ): { family: Family; text: string } | undefined {
    if (value === undefined) return undefined;
    const list = (Array.isArray(value) ? value : [value]).map((v) => nftPrefix(v)!);
    const fam = want ?? list[0].family;
    const i = list.findIndex((p) => p.family !== fam);
    if (i >= 0) {
      this.error(
        Array.isArray(value) ? [...path, i] : path,
        `${Array.isArray(value) ? value[i] : value} is an IPv${list[i].family} prefix where IPv${fam} is meant`,
        `write IPv${fam} prefixes here (one family per rule)`,
      );
      return undefined;
    }
    return { family: fam, text: setOf(list) };
  }

  ports(spec: number | string | (number | string)[], path: (string | number)[]): string | undefined {
    const list = Array.isArray(spec) ? spec : [spec];
    const items: { text: string; key: number }[] = [];
    for (const [i, p] of list.entries()) {
      const where = Array.isArray(spec) ? [...path, i] : path;
      if (typeof p === 'number') {
        items.push({ text: String(p), key: p });
        continue;
      }
      const [a, b] = p.split('-').map(Number);
      if (a < 1 || b > 65535 || a > b) {
        this.error(
          where,
          `port range ${p} is ${a > b ? 'upside down' : 'out of 1-65535'}`,
          a > b ? `write ${b}-${a}` : 'ports are 1 to 65535',
        );
        return undefined;
      }
      items.push({ text: a === b ? String(a) : `${a}-${b}`, key: a });
    }
    return setOf(items);
  }

  /** The match part of an allow rule (`iifname … ip saddr … tcp dport …`), or undefined after an error. */
  match(r: Rule, path: (string | number)[], opts: { interfaces: boolean }): string | undefined {
    const parts: string[] = [];
    if (!opts.interfaces && (r.in || r.out)) {
      this.error(
        [...path, r.in ? 'in' : 'out'],
        `a guard rule has no ${r.in ? 'in' : 'out'}: the port is the guarded interface`,
        'remove it; write the rule under allow_in or allow_out',
      );
      return undefined;
    }
    if (r.in) parts.push(`iifname "${r.in}"`);
    if (r.out) parts.push(`oifname "${r.out}"`);
    let fam: Family | undefined = r.proto === 'icmp' ? 4 : r.proto === 'icmpv6' ? 6 : undefined;
    for (const key of ['from', 'to'] as const) {
      if (r[key] === undefined) continue;
      const p = this.prefixes(r[key], [...path, key], fam);
      if (!p) return undefined;
      fam = p.family;
      parts.push(`${famWord(p.family)} ${key === 'from' ? 'saddr' : 'daddr'} ${p.text}`);
    }
    const proto = r.proto;
    if (r.port !== undefined) {
      if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') {
        this.error(
          [...path, 'port'],
          proto === undefined ? 'a port needs a protocol' : `${proto} has no ports`,
          'add proto: tcp (or udp, sctp)',
        );
        return undefined;
      }
      const ports = this.ports(r.port, [...path, 'port']);
      if (ports === undefined) return undefined;
      parts.push(`${proto} dport ${ports}`);
    } else if (r.type !== undefined) {
      if (proto !== 'icmp' && proto !== 'icmpv6') {
        this.error([...path, 'type'], 'type is for ICMP rules', 'add proto: icmp (or icmpv6), or remove type');
        return undefined;
      }
      const table = proto === 'icmp' ? ICMP_TYPES : ICMPV6_TYPES;
      const n = typeof r.type === 'number' ? r.type : table[r.type];
      if (n === undefined) {
        this.error(
          [...path, 'type'],
          `unknown ${proto} type "${r.type}"`,
          `write one of: ${Object.keys(table).join(', ')}, or a number`,
        );
        return undefined;
      }
      const name = Object.keys(table).find((k) => table[k] === n);
      parts.push(`${proto} type ${name ?? n}`);
    } else if (proto !== undefined) {
      const n = typeof proto === 'number' ? proto : PROTO_NUMBERS[proto];
      parts.push(`meta l4proto ${this.protoName(n)}`);
    }
    return parts.join(' ');
  }

  allowRules(
    table: TableFamily,
    chain: string,
    rules: Rule[] | undefined,
    path: (string | number)[],
    interfaces: boolean,
  ) {
    (rules ?? []).forEach((r, i) => {
      const m = this.match(r, [...path, i], { interfaces });
      // Counted: what each allow lets through shows in `nft list table` (counters are never drift).
      if (m !== undefined) this.rule(table, chain, m ? `${m} counter accept` : 'counter accept', [...path, i]);
    });
  }
}

/** Everything a prefix field says, for NAT rules (`ip saddr …`). */
function natMatch(
  R: Renderer,
  e: { from?: string; out?: string; exclude?: string[] },
  path: (string | number)[],
  want?: Family,
): { text: string; family?: Family } | undefined {
  const parts: string[] = [];
  if (e.out) parts.push(`oifname "${e.out}"`);
  let fam = want;
  if (e.from !== undefined) {
    const p = R.prefixes(e.from, [...path, 'from'], fam);
    if (!p) return undefined;
    fam = p.family;
    parts.push(`${famWord(fam)} saddr ${p.text}`);
  }
  if (e.exclude?.length) {
    const p = R.prefixes(e.exclude, [...path, 'exclude'], fam);
    if (!p) return undefined;
    fam = p.family;
    parts.push(`${famWord(fam)} daddr != ${p.text}`);
  }
  return { text: parts.join(' '), family: fam };
}

const join = (...parts: string[]) => parts.filter(Boolean).join(' ');

/** `to:` of a port forward: ADDRESS, ADDRESS:PORT, [V6]:PORT, V6. */
export function parseForwardTarget(to: string): { family: Family; addr: string; port?: number } | undefined {
  let m = /^\[([^\]]+)\]:(\d+)$/.exec(to);
  if (m) {
    const ip = canonicalIp(m[1]);
    return ip && ip.family === 6 ? { family: 6, addr: ip.ip, port: Number(m[2]) } : undefined;
  }
  m = /^([0-9.]+):(\d+)$/.exec(to);
  if (m) {
    const ip = canonicalIp(m[1]);
    return ip && ip.family === 4 ? { family: 4, addr: ip.ip, port: Number(m[2]) } : undefined;
  }
  const ip = canonicalIp(to);
  return ip ? { family: ip.family, addr: ip.ip } : undefined;
}

const eui64 = (mac: string) => {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] ^= 2;
  const g = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, 0xfe00 | b[3], (b[4] << 8) | b[5]];
  return canonicalIp(`fe80::${g.map((x) => x.toString(16)).join(':')}`)!.ip;
};

export const FILTER = 0;
const NAT_HEADER = (hook: string, prio: number) => `type nat hook ${hook} priority ${prio}; policy accept;`;
const FILTER_HEADER = (hook: string, prio: number, policy = 'accept') =>
  `type filter hook ${hook} priority ${prio}; policy ${policy};`;

/** `inet nethost`: NAT, MSS clamping, input and forward policies. `bridges` are the file's bridges. */
export function renderFirewall(R: Renderer, fw: Firewall, bridges: string[]) {
  const T: TableFamily = 'inet';
  const base = ['firewall'];
  const forwardDrop = fw.forward?.policy === 'drop';
  const forwardAccepts: { text: string; path: (string | number)[] }[] = [];

  // Chains in the order they are written; each only when it has something to do.
  const pre: [string, (string | number)[]][] = [];
  const out: [string, (string | number)[]][] = [];
  const post: [string, (string | number)[]][] = [];

  (fw.masquerade ?? []).forEach((e, i) => {
    const path = [...base, 'masquerade', i];
    const m = natMatch(R, e, path);
    if (!m) return;
    if (e.ports) {
      const ports = R.ports(e.ports, [...path, 'ports']);
      if (ports === undefined) return;
      post.push([join(m.text, `meta l4proto { ${R.protoName(6)}, ${R.protoName(17)} } masquerade to :${ports}`), path]);
    }
    post.push([join(m.text, 'masquerade'), path]);
    if (forwardDrop)
      forwardAccepts.push({
        text: join(
          e.out ? `oifname "${e.out}"` : '',
          e.from ? `${famWord(m.family!)} saddr ${nftPrefix(e.from)!.text}` : '',
          'accept',
        ),
        path,
      });
  });
  (fw.snat ?? []).forEach((e, i) => {
    const path = [...base, 'snat', i];
    const to = canonicalIp(e.to)!;
    const m = natMatch(R, e, path, to.family);
    if (!m) return;
    post.push([join(m.text, `snat ${famWord(to.family)} to ${to.ip}`), path]);
    if (forwardDrop)
      forwardAccepts.push({
        text: join(
          e.out ? `oifname "${e.out}"` : '',
          e.from ? `${famWord(to.family)} saddr ${nftPrefix(e.from)!.text}` : '',
          'accept',
        ),
        path,
      });
  });
  (fw.port_forwards ?? []).forEach((e, i) => {
    const path = [...base, 'port_forwards', i];
    const t = parseForwardTarget(e.to);
    if (!t) {
      R.error(
        [...path, 'to'],
        `"${e.to}" is not ADDRESS, ADDRESS:PORT or [IPv6]:PORT`,
        'write e.g. 192.0.2.10:80 or [2001:db8::10]:80',
      );
      return;
    }
    const ports = R.ports(e.port, [...path, 'port']);
    if (ports === undefined) return;
    if (e.hairpin && !e.in) {
      R.error(
        [...path, 'hairpin'],
        'hairpin needs in: (the outside interface), to tell inside clients from outside ones',
        'add in: with the interface the forwarded connections arrive on',
      );
      return;
    }
    const f = famWord(t.family);
    const target = t.port === undefined ? t.addr : t.family === 6 ? `[${t.addr}]:${t.port}` : `${t.addr}:${t.port}`;
    const dnat = `${e.proto} dport ${ports} dnat ${f} to ${target}`;
    // Without in:, only connections to the host's own addresses (not everything routed through it).
    pre.push([e.in ? join(`iifname "${e.in}"`, dnat) : join('fib daddr type local', dnat), path]);
    if (e.hairpin) pre.push([join(`iifname != "${e.in}"`, 'fib daddr type local', dnat), path]);
    // The host's own connections to its own address at that port (not over loopback).
    out.push([join(`${f} daddr != ${t.family === 4 ? '127.0.0.0/8' : '::1'}`, 'fib daddr type local', dnat), path]);
    const dest = `${f} daddr ${t.addr} ${e.proto} dport ${t.port ?? ports}`;
    if (e.hairpin) post.push([join(`iifname != "${e.in}"`, dest, 'ct status dnat masquerade'), path]);
    // A hairpin connection comes from the inside, so its accept cannot name the outside interface.
    if (forwardDrop)
      forwardAccepts.push({
        text: join(e.in && !e.hairpin ? `iifname "${e.in}"` : '', dest, 'ct status dnat accept'),
        path,
      });
  });
  if (pre.length) R.chain(T, 'prerouting', NAT_HEADER('prerouting', -100));
  for (const [t, p] of pre) R.rule(T, 'prerouting', t, p);
  if (out.length) R.chain(T, 'output', NAT_HEADER('output', -100));
  for (const [t, p] of out) R.rule(T, 'output', t, p);
  if (post.length) R.chain(T, 'postrouting', NAT_HEADER('postrouting', 100));
  for (const [t, p] of post) R.rule(T, 'postrouting', t, p);

  (fw.mss_clamp ?? []).forEach((e, i) => {
    const path = [...base, 'mss_clamp', i];
    const parts: string[] = [];
    if (e.in) parts.push(`iifname "${e.in}"`);
    if (e.out) parts.push(`oifname "${e.out}"`);
    if (e.from !== undefined) {
      const p = R.prefixes(e.from, [...path, 'from']);
      if (!p) return;
      // The connection's original source: its SYN and the SYN-ACK that answers it.
      parts.push(`ct original ${famWord(p.family)} saddr ${p.text}`);
    }
    parts.push('tcp flags syn / syn,rst');
    if (e.mss === 'pmtu') parts.push('tcp option maxseg size set rt mtu');
    else parts.push(`tcp option maxseg size > ${e.mss} tcp option maxseg size set ${e.mss}`);
    R.chain(T, 'mss', FILTER_HEADER('forward', -150));
    R.rule(T, 'mss', parts.join(' '), path);
  });

  if (fw.input) {
    const path = [...base, 'input'];
    const policy = fw.input.policy ?? 'accept';
    R.chain(T, 'input', FILTER_HEADER('input', FILTER, policy));
    if (policy === 'drop') {
      R.rule(T, 'input', 'iif "lo" accept', path);
      R.rule(T, 'input', 'ct state established,related accept', path);
      R.rule(T, 'input', `${ND_TYPES} accept`, path);
    }
    R.allowRules(T, 'input', fw.input.allow, [...path, 'allow'], true);
  }
  if (fw.forward || forwardAccepts.length) {
    const path = [...base, 'forward'];
    const policy = fw.forward?.policy ?? 'accept';
    if (policy === 'drop' || fw.forward?.allow?.length) {
      R.chain(T, 'forward', FILTER_HEADER('forward', FILTER, policy));
      if (policy === 'drop') {
        R.rule(T, 'forward', 'ct state established,related accept', path);
        // Frames bridged between two ports of one bridge pass the inet hooks too where
        // bridge-nf-call-iptables is on: they are not routed traffic.
        for (const b of bridges) R.rule(T, 'forward', `iifname "${b}" oifname "${b}" accept`, path);
        for (const a of forwardAccepts) R.rule(T, 'forward', a.text, a.path);
      }
      R.allowRules(T, 'forward', fw.forward?.allow, [...path, 'allow'], true);
    }
  }
}

/** `bridge nethost`: one chain per guarded port and direction, jumped to by the port's name. */
export function renderGuards(R: Renderer, guards: [string, Guard][]) {
  const T: TableFamily = 'bridge';
  if (!guards.length) return;
  R.chain(T, 'prerouting', FILTER_HEADER('prerouting', -200));
  if (guards.some(([, g]) => g.allow_in)) R.chain(T, 'postrouting', FILTER_HEADER('postrouting', -200));
  for (const [port, g] of guards) {
    const path = ['interfaces', port, 'guard'];
    const from = `from-${port}`;
    R.rule(T, 'prerouting', `iifname "${port}" jump ${from}`, path);
    R.chain(T, from, '');
    const mac = g.mac ? canonicalMac(g.mac)! : undefined;
    if (mac) R.rule(T, from, `ether saddr != ${mac} drop`, [...path, 'mac']);
    R.rule(T, from, 'ether type != { ip, arp, ip6 } drop', path);
    if (mac) R.rule(T, from, `arp saddr ether != ${mac} drop`, [...path, 'mac']);
    if (g.ips) {
      const ips = g.ips.map((s) => canonicalIp(s)!);
      const v4 = ips.filter((a) => a.family === 4).map((a) => ({ text: a.ip, key: ipKey(a.ip) }));
      const v6 = ips.filter((a) => a.family === 6).map((a) => ({ text: a.ip, key: ipKey(a.ip) }));
      const ipsPath = [...path, 'ips'];
      // ARP probes and DHCP requests come from 0.0.0.0; DAD from ::.
      R.rule(T, from, `arp saddr ip != ${setOf([{ text: '0.0.0.0', key: 0n }, ...v4])} drop`, ipsPath);
      R.rule(T, from, 'ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept', ipsPath);
      R.rule(T, from, v4.length ? `ip saddr != ${setOf(v4)} drop` : 'ether type ip drop', ipsPath);
      if (mac) v6.push({ text: eui64(mac), key: ipKey(eui64(mac)) });
      R.rule(T, from, 'ip6 saddr :: icmpv6 type nd-neighbor-solicit accept', ipsPath);
      R.rule(T, from, v6.length ? `ip6 saddr != ${setOf(v6)} drop` : 'ether type ip6 drop', ipsPath);
    }
    // One allow-list per direction: replies, ARP, DHCP and neighbour discovery (each the way that
    // direction carries them), the user's rules, then drop.
    const allowList = (chain: string, rules: Rule[], p: (string | number)[], dhcp: string, routerNd: string) => {
      R.rule(T, chain, 'ct state established,related accept', p);
      R.rule(T, chain, 'ether type arp accept', p);
      R.rule(T, chain, `${dhcp} accept`, p);
      R.rule(T, chain, `icmpv6 type { ${routerNd}, nd-neighbor-solicit, nd-neighbor-advert } accept`, p);
      R.allowRules(T, chain, rules, p, false);
      R.rule(T, chain, 'drop', p);
    };
    if (g.allow_out)
      allowList(from, g.allow_out, [...path, 'allow_out'], 'udp sport 68 udp dport 67', 'nd-router-solicit');
    if (g.allow_in) {
      const to = `to-${port}`;
      const p = [...path, 'allow_in'];
      R.rule(T, 'postrouting', `oifname "${port}" jump ${to}`, p);
      R.chain(T, to, '');
      allowList(to, g.allow_in, p, 'udp sport 67 udp dport 68', 'nd-router-advert');
    }
  }
}
