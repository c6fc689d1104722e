// The firewall: nethost's two nftables tables, `inet nethost` (NAT, MSS clamping, input and
// forward policies, from `firewall:`) and `bridge nethost` (port guards, from each interface's
// `guard:`), as ONE resource, so that one `nft -f` transaction replaces both. Its attributes are
// the tables present, their chains and their rules in canonical text (print.ts); the live one also
// keeps nft's JSON of the tables, which is what a rollback loads back. Other tables are never read
// beyond their base chains' hooks and policies, and never changed.
import type { Diagnostic, DesiredState, LiveState, Resource, SourceRef } from '../../model.js';
import type { DetailLine, OpSpec, SectionKind } from '../types.js';
import { sysctlId } from '../../backends/sysctl/backend.js';
import {
  canonicalView,
  carriedOf,
  FIREWALL_ID,
  kernelRefusal,
  listingOf,
  ruleSource,
  type FirewallCarried,
  type RawNft,
} from '../../backends/nft/view.js';
import type { RawLive } from '../../backends/types.js';
import { linkId } from '../../model.js';
import { coverageIndex } from '../../util/net.js';
import { firewallSchema, guardSchema, type Firewall, type Guard } from './schema.js';
import { parseForwardTarget, Renderer, renderFirewall, renderGuards, type RuleLine, type ChainLine } from './rules.js';
import { jsonScript, splitRule, strings, TABLES, textScript } from '../../backends/nft/ruleset.js';
import { firewallDiff } from './chain-diff.js';
import { RANK } from '../ranks.js';

const BUILTIN_PROTOS: Record<number, string> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'ipv6-icmp',
  132: 'sctp',
};

const chainEntry = (c: ChainLine) => `${c.table} ${c.name}${c.header ? ` { ${c.header} }` : ''}`;
const ruleEntry = (r: RuleLine) => `${r.table} ${r.chain}: ${r.text}`;
const pos = (s: SourceRef | undefined) => (s ? `${s.line}:${s.col}` : '');

function liveResource(nft: RawNft): Resource {
  const view = nft.view ?? canonicalView(nft.tables);
  const listings = nft.fromMemo
    ? undefined
    : (nft.listings ?? TABLES.filter((t) => nft.tables[t]).map((t) => listingOf(nft.tables[t]!)));
  const foreign = nft.foreign
    .filter((c) => c.policy === 'drop')
    .map(({ family, table, name, hook }) => ({ family, table, name, hook }));
  const carried: FirewallCarried = {
    json: listings, // kept as the strings nft gave: a plan never needs them re-encoded
    listed: true, // read from the kernel (a snapshot), not rendered from a file
    foreign,
    kernelForwarding: nft.forwarding,
  };
  return {
    id: FIREWALL_ID,
    kind: 'firewall',
    owned: true,
    deps: [],
    attrs: { tables: view.tables, chains: view.chains, rules: view.rules, others: view.others },
    carried,
  };
}

/** The families the file's NAT and forwarding rules route (for the ip_forward warning). */
function forwardingFamilies(fw: Firewall | undefined): string[] {
  if (!fw) return [];
  const fams = new Set<string>();
  const famOf = (p?: string) => (p === undefined ? undefined : p.includes(':') ? 'ipv6' : 'ipv4');
  for (const m of fw.masquerade ?? []) fams.add(famOf(m.from) ?? famOf(m.exclude?.[0]) ?? 'ipv4');
  for (const s of fw.snat ?? []) fams.add(famOf(s.to)!);
  for (const p of fw.port_forwards ?? []) {
    const t = parseForwardTarget(p.to);
    if (t) fams.add(t.family === 4 ? 'ipv4' : 'ipv6');
  }
  if (fw.forward) fams.add('ipv4');
  return [...fams].sort();
}

export const firewall: SectionKind = {
  name: 'firewall',
  // An input policy with one port open; the change opens another port instead.
  sample: {
    file: 'version: 1\nfirewall:\n  input: {policy: drop, allow: [{proto: tcp, port: 22}]}\n',
    change: 'version: 1\nfirewall:\n  input: {policy: drop, allow: [{proto: tcp, port: 2222}]}\n',
  },
  describe: () => 'firewall (nft tables inet nethost, bridge nethost)',
  // Rule by rule, grouped by chain: `+` added, `-` removed.
  detailLines(c) {
    const out: DetailLine[] = [];
    for (const d of firewallDiff(c.before?.attrs, c.after?.attrs)) {
      const note =
        d.chainChange === 'created'
          ? ' (new chain)'
          : d.chainChange === 'deleted'
            ? ' (chain removed)'
            : d.chainChange === 'changed'
              ? ` (${d.header?.before || 'regular'} → ${d.header?.after || 'regular'})`
              : '';
      out.push({ text: `chain ${d.table} nethost ${d.chain}${note}` });
      for (const l of d.lines) out.push({ op: l.op, text: l.rule });
    }
    const others = strings(c.before?.attrs.others);
    if (c.after) for (const o of others) out.push({ op: '-', text: o });
    return out;
  },
  jsonDetail: (c) => ({
    rules: firewallDiff(c.before?.attrs, c.after?.attrs).map((d) => ({
      table: `${d.table} nethost`,
      chain: d.chain,
      chain_change: d.chainChange ?? null,
      added: d.lines.filter((l) => l.op === '+').map((l) => l.rule),
      removed: d.lines.filter((l) => l.op === '-').map((l) => l.rule),
    })),
  }),
  section: 'firewall',
  // Every interface may carry a `guard:`; a guarded port comes up only once its guard is loaded.
  interfaceFields: { fields: { guard: guardSchema.optional() }, orderedAfter: FIREWALL_ID },
  // Loaded before any link comes up, removed after every link is gone (ports' guards fail closed).
  rank: RANK.first,
  schema: firewallSchema,
  immutable: [],
  fromLive(raw: RawLive) {
    return raw.nft ? [liveResource(raw.nft)] : [];
  },
  fromConfig(section: Firewall | undefined, at, desired, facts, interfaces) {
    const diagnostics: Diagnostic[] = [];
    const guards: [string, Guard][] = [];
    for (const [name, entry] of interfaces ?? new Map()) {
      if (!entry.guard) continue;
      const me = desired.get(linkId(name));
      const master = me?.attrs.master ? desired.get(linkId(String(me.attrs.master))) : undefined;
      if (master?.kind !== 'bridge') {
        diagnostics.push({
          severity: 'error',
          message: `guard on ${name}, which is not a port of a Linux bridge${master ? ` (${master.id.slice(5)} is a ${master.kind})` : ''}`,
          hint: 'list it in the ports of a kind: bridge interface, or remove guard',
          path: ['interfaces', name, 'guard'],
          source: at(['interfaces', name, 'guard'], true),
        });
        continue;
      }
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
        diagnostics.push({
          severity: 'error',
          message: `a guarded interface's name may hold only letters, digits, '-', '_' and '.' ("${name}" names its nft chains)`,
          hint: 'rename the interface',
          source: at(['interfaces', name], true),
        });
        continue;
      }
      guards.push([name, entry.guard]);
    }
    if (section === undefined && !guards.length) return { resources: [], diagnostics };
    const names = new Map<number, string>();
    for (const [n, v] of Object.entries(facts.protocols ?? {})) if (!names.has(v)) names.set(v, n); // getprotobynumber: the first line wins
    // What nft prints for a protocol number: the host's /etc/protocols name, as nft itself looks it up.
    const protoName = (n: number) => (facts.protocols ? names.get(n) : BUILTIN_PROTOS[n]) ?? String(n);
    const R = new Renderer((p) => at(p), protoName);
    const bridges = [...desired.values()].filter((r) => r.kind === 'bridge').map((r) => r.id.slice(5));
    if (section) renderFirewall(R, section, bridges);
    renderGuards(R, guards);
    diagnostics.push(...R.diagnostics);
    const tables = TABLES.filter((t) => R.chains.some((c) => c.table === t));
    // nft lists tables in creation order, chains likewise and rules chain by chain: the same order here.
    const chains = TABLES.flatMap((t) => R.chains.filter((c) => c.table === t));
    const chainAt = new Map(chains.map((c, i) => [`${c.table} ${c.name}`, i]));
    const byChain: RuleLine[][] = chains.map(() => []);
    for (const r of R.rules) byChain[chainAt.get(`${r.table} ${r.chain}`)!].push(r);
    const rules = byChain.flat(); // chain by chain, each in the order written
    // Interfaces the rules name, for the check against the namespace.
    const refs: string[] = [];
    const ref = (name: string | undefined, path: (string | number)[]) => name && refs.push(`${name}@${pos(at(path))}`);
    (section?.masquerade ?? []).forEach((e, i) => ref(e.out, ['firewall', 'masquerade', i, 'out']));
    (section?.snat ?? []).forEach((e, i) => ref(e.out, ['firewall', 'snat', i, 'out']));
    (section?.port_forwards ?? []).forEach((e, i) => ref(e.in, ['firewall', 'port_forwards', i, 'in']));
    (section?.mss_clamp ?? []).forEach(
      (e, i) => (ref(e.in, ['firewall', 'mss_clamp', i, 'in']), ref(e.out, ['firewall', 'mss_clamp', i, 'out'])),
    );
    for (const ch of ['input', 'forward'] as const)
      (section?.[ch]?.allow ?? []).forEach(
        (e, i) => (ref(e.in, ['firewall', ch, 'allow', i, 'in']), ref(e.out, ['firewall', ch, 'allow', i, 'out'])),
      );
    const resource: Resource = {
      id: FIREWALL_ID,
      kind: 'firewall',
      owned: true,
      deps: [],
      source: at(['firewall'], true) ?? (guards.length ? at(['interfaces', guards[0][0], 'guard'], true) : undefined),
      attrs: { tables: [...tables].sort(), chains: chains.map(chainEntry), rules: rules.map(ruleEntry), others: [] },
      carried: {
        sources: rules.map((r) => pos(r.source)),
        refs,
        forwarding: forwardingFamilies(section),
      } satisfies FirewallCarried,
    };
    return { resources: [resource], diagnostics };
  },
  refusedLine(r, line, message, file) {
    // The operation's input is this resource's script (rendered once: the same text and line map).
    const i = !carriedOf(r).listed ? textScript(r.attrs).ruleAt.get(line) : undefined;
    if (i === undefined) return undefined;
    const { table, chain, text } = splitRule(strings(r.attrs.rules)[i]);
    return {
      severity: 'error',
      message: `${kernelRefusal(text, table, message)} (${table} nethost, chain ${chain}: ${text})`,
      source: ruleSource(r, file, i),
    };
  },
  summarise: (c) =>
    firewallDiff(c.before?.attrs, c.after?.attrs)
      .flatMap((d) => [
        ...(d.chainChange ? [`chain ${d.table} ${d.chain} ${d.chainChange}`] : []),
        ...d.lines.map((l) => `${l.op === '+' ? 'missing' : 'not in the file'}: ${d.table} ${d.chain}: ${l.rule}`),
      ])
      .concat(
        strings(c.before?.attrs.others)
          .filter((o) => !strings(c.after?.attrs.others).includes(o))
          .map((o) => `not in the file: ${o}`),
      )
      .concat(
        JSON.stringify(strings(c.before?.attrs.tables)) !== JSON.stringify(strings(c.after?.attrs.tables))
          ? [`tables [${strings(c.before?.attrs.tables).join(', ')}] → [${strings(c.after?.attrs.tables).join(', ')}]`]
          : [],
      )
      .join('; ') || 'tables differ',
  checkLive(r, desired, live) {
    return checkFirewall(r, desired, live);
  },
  create: (r) => ops(r),
  update: (r) => ops(r),
  delete: () => [{ backend: 'nft', args: [textScript({ tables: [] }).text], disruptive: false }],
  manages: (live) => strings(live.attrs.tables).length > 0,
};

function ops(r: Resource): OpSpec[] {
  // A snapshot goes back as nft listed it (JSON); one the memo knew is the ruleset nethost rendered,
  // and goes back as that text.
  const { json } = carriedOf(r);
  if (json !== undefined) return [{ backend: 'nft', options: ['-j'], args: [jsonScript(json)], disruptive: false }];
  return [{ backend: 'nft', args: [textScript(r.attrs).text], disruptive: false }];
}

function checkFirewall(r: Resource, desired: DesiredState, live: LiveState): Diagnostic[] {
  const out: Diagnostic[] = [];
  const where = (s: string) => {
    const [line, col] = s.split(':').map(Number);
    return line ? { file: desired.file, line, col } : r.source;
  };
  for (const ref of carriedOf(r).refs ?? []) {
    const at = ref.lastIndexOf('@');
    const name = ref.slice(0, at);
    if (desired.resources.has(linkId(name)) || live.linkNames.has(name)) continue;
    out.push({
      severity: 'error',
      message: `interface "${name}" is neither in the file nor in this namespace`,
      hint: `check the name (ip link), or declare ${name} under interfaces`,
      source: where(ref.slice(at + 1)),
    });
  }
  // Port forwards must reach their target: an address here or in the file covers it, or a route does.
  const have = [
    ...live.addresses,
    ...[...desired.resources.values()].filter((x) => x.kind === 'address').map((x) => String(x.attrs.address)),
    ...[...desired.resources.values(), ...live.resources.values()]
      .filter((x) => x.kind === 'route' && x.attrs.dst)
      .map((x) => String(x.attrs.dst)),
  ];
  const covering = coverageIndex(have.map((cidr) => ({ cidr, value: true })));
  strings(r.attrs.rules).forEach((entry, i) => {
    const { chain, text } = splitRule(entry);
    const m = chain === 'prerouting' && / dnat ip6? to \[?([0-9a-f.:]+?)\]?(?::\d+(?:-\d+)?)?$/.exec(text);
    if (m && !covering(m[1]).length)
      out.push({
        severity: 'error',
        message: `port forward target ${m[1]} is not reachable: no address or route here or in the file covers it`,
        hint: 'add an address on its subnet (or a route to it), or correct to:',
        source: ruleSource(r, desired.file, i),
      });
  });
  const l = live.resources.get(FIREWALL_ID);
  if (!l) return dedupe(out);
  // Forwarding off in the kernel and not set by the file: NAT and forward rules would see nothing.
  const kernel = carriedOf(l).kernelForwarding ?? {};
  for (const fam of carriedOf(r).forwarding ?? []) {
    const key = fam === 'ipv4' ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding';
    const path = key.replace(/\./g, '/');
    if (desired.resources.has(sysctlId(path))) continue;
    if (kernel[fam as 'ipv4' | 'ipv6'] === '0')
      out.push({
        severity: 'warning',
        message: `${key} is 0 here and the file does not set it: the NAT and forward rules see no routed traffic`,
        hint: `add under sysctls: ${key}: 1`,
        source: r.source,
      });
  }
  const hooks = new Set(
    strings(r.attrs.chains)
      .filter((c) => c.startsWith('inet '))
      .map((c) => /hook (\S+)/.exec(c)?.[1])
      .filter(Boolean),
  );
  for (const { family, table, name, hook } of carriedOf(l).foreign ?? []) {
    if (hooks.has(hook))
      out.push({
        severity: 'warning',
        message: `table ${family} ${table} has base chain ${name} on the ${hook} hook with policy drop: an accept in nethost's table does not override it`,
        hint: `the packet must be accepted by ${family} ${table} too (nethost never changes other tables)`,
        source: r.source,
      });
  }
  return dedupe(out);
}

const dedupe = (d: Diagnostic[]) =>
  d.filter((x, i) => d.findIndex((y) => y.message === x.message && y.source?.line === x.source?.line) === i);
