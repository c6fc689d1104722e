// nft's state as nethost compares it: nethost's two tables (`inet nethost`, `bridge nethost`) in
// canonical text, printed from nft's JSON (print.ts), and the stateless listing a restore loads back.
// The backend owns these shapes; the firewall kind (src/kinds/firewall) builds and compares them.
import type { Resource, SourceRef } from '../../model.js';
import { printChainHeader, printRule, withoutState } from './print.js';
import { strings, TABLES } from './ruleset.js';

/** The id of the one resource that is nethost's nft state (both tables: one transaction). */
export const FIREWALL_ID = 'nft:nethost';

/** Raw nft state, filled by src/backends/nft. */
export interface RawNft {
  /** nft -j output objects of each of nethost's tables that exists (metainfo dropped); absent when `view` is given. */
  tables: Partial<Record<'inet' | 'bridge', any[]>>;
  /** The canonical form of those tables, when the backend already has it (printed, or known from the memo). */
  view?: FirewallView;
  /** nft's own JSON listing of each existing table, handles dropped and counters zeroed (stateless):
   *  what a restore loads back. Absent: built from `tables`. */
  listings?: string[];
  /** The view came from the memo (the kernel lists exactly a ruleset nethost rendered, verified
   *  before): no JSON was read, and a restore loads that ruleset's own text. */
  fromMemo?: boolean;
  /** Every base chain of every other table: family, table, name, hook, policy. */
  foreign: { family: string; table: string; name: string; hook: string; policy: string }[];
  /** net.ipv4.ip_forward and net.ipv6.conf.all.forwarding, when the file's rules need them. */
  forwarding?: { ipv4?: string; ipv6?: string };
}

/** What is compared of the firewall: tables present, chains, rules, and anything else found in them. */
export interface FirewallView {
  tables: string[];
  chains: string[];
  rules: string[];
  others: string[];
}

/** nft JSON of one table → canonical chains and rules (and anything else, shown as JSON). Pure. */
export function canonicalTable(family: string, objects: any[]) {
  const chains: string[] = [];
  const rules: string[] = [];
  const others: string[] = [];
  for (const o of objects) {
    if (o.rule) {
      // Handles and counter values are state: the printer never shows them.
      const v = o.rule;
      rules.push(`${family} ${v.chain}: ${printRule(v.expr ?? [])}${v.comment ? ` comment "${v.comment}"` : ''}`);
    } else if (o.chain) {
      const header = printChainHeader(o.chain);
      chains.push(`${family} ${o.chain.name}${header ? ` { ${header} }` : ''}`);
    } else if (!o.table) {
      // Sets, maps, counters … are not nethost's: shown as they are (handles and elements' timers are state).
      const [type] = Object.keys(o);
      const v = { ...o[type], handle: undefined };
      if (Array.isArray(v.elem))
        v.elem = v.elem.map((e: any) => (e?.elem ? { elem: { ...e.elem, expires: undefined } } : e));
      others.push(`${family} ${type} ${JSON.stringify(v)}`);
    }
  }
  return { chains, rules, others };
}

/** Both tables' canonical form from nft's JSON objects. */
export function canonicalView(tables: RawNft['tables']): FirewallView {
  const view: FirewallView = { tables: [], chains: [], rules: [], others: [] };
  for (const t of TABLES) {
    const objects = tables[t];
    if (!objects) continue;
    view.tables.push(t);
    const c = canonicalTable(t, objects);
    view.chains.push(...c.chains);
    view.rules.push(...c.rules);
    view.others.push(...c.others);
  }
  view.tables.sort();
  return view;
}

/** The view a desired firewall resource has (what a live one must equal to be in sync). */
export function desiredView(attrs: Resource['attrs']): FirewallView {
  return {
    tables: strings(attrs.tables),
    chains: strings(attrs.chains),
    rules: strings(attrs.rules),
    others: strings(attrs.others),
  };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export const sameView = (a: FirewallView, b: FirewallView) =>
  sameList(a.tables, b.tables) &&
  sameList(a.chains, b.chains) &&
  sameList(a.rules, b.rules) &&
  sameList(a.others, b.others);

/** A table's JSON objects → the stateless listing text a restore loads (the same form the backend gives). */
export function listingOf(objects: any[]): string {
  return JSON.stringify({
    nftables: objects.map((o) => {
      const [type] = Object.keys(o);
      const v = { ...o[type] };
      delete v.handle;
      if (type === 'rule') v.expr = withoutState(v.expr ?? []);
      return { [type]: v };
    }),
  });
}

/** A kernel's refusal in words a person can act on. */
export function kernelRefusal(ruleText: string, table: string, message: string): string {
  if (
    table === 'bridge' &&
    /\bct (state|status)\b/.test(ruleText) &&
    /Protocol error|Operation not supported|No such file/.test(message)
  )
    return 'this kernel lacks bridge connection tracking (nf_conntrack_bridge), which guard allow_in / allow_out need (replies are matched by connection state); load the module or use a kernel that has it, or remove allow_in / allow_out';
  return `the kernel refused this rule: ${message}`;
}

/** What the firewall's resource carries for the engine (Resource.carried): never compared or shown. */
export interface FirewallCarried {
  /** A desired firewall: where each rule was written (`LINE:COL`), in rule order. */
  sources?: string[];
  /** A desired firewall: the interfaces its rules name, `NAME@LINE:COL`, checked against the namespace. */
  refs?: string[];
  /** A desired firewall: the families its NAT and forwarding rules route (ipv4, ipv6). */
  forwarding?: string[];
  /** A live firewall: nft's own listing of each table (stateless), which a rollback loads back;
   *  absent when the memo knew the ruleset (a rollback loads its text). */
  json?: string[];
  /** A live firewall: read from the kernel, not rendered from a file. */
  listed?: boolean;
  /** A live firewall: other tables' base chains with policy drop. */
  foreign?: { family: string; table: string; name: string; hook: string }[];
  /** A live firewall: net.ipv4.ip_forward and net.ipv6.conf.all.forwarding, when read. */
  kernelForwarding?: { ipv4?: string; ipv6?: string };
}

export const carriedOf = (r: Pick<Resource, 'carried'> | undefined): FirewallCarried =>
  (r?.carried ?? {}) as FirewallCarried;

/** Where rule number i of a desired firewall came from. */
export function ruleSource(r: Resource, file: string, i: number): SourceRef | undefined {
  const s = carriedOf(r).sources?.[i];
  if (!s) return r.source;
  const [line, col] = s.split(':').map(Number);
  return { file, line, col };
}
