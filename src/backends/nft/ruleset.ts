// A firewall resource → the one `nft -f -` transaction that replaces nethost's two tables with it:
// each table is made to exist, deleted and (if wanted) written anew, so the transaction is right
// whatever is there when it runs, and takes effect whole or not at all.
import type { Attrs } from '../../model.js';

export const TABLES = ['inet', 'bridge'] as const;

export interface Script {
  text: string;
  /** Line number (1-based) → index of the rule in `attrs.rules` written on it. */
  ruleAt: Map<number, number>;
}

/** `inet input: tcp dport 22 accept` → table, chain, text. */
export function splitRule(entry: string): { table: string; chain: string; text: string } {
  const sp = entry.indexOf(' ');
  const colon = entry.indexOf(': ', sp);
  return { table: entry.slice(0, sp), chain: entry.slice(sp + 1, colon), text: entry.slice(colon + 2) };
}

/** `inet input { type filter hook input priority 0; policy drop; }` or `bridge from-vnet0`. */
export function splitChain(entry: string): { table: string; name: string; header: string } {
  const m = /^(\S+) (\S+)(?: \{ (.*) \})?$/.exec(entry)!;
  return { table: m[1], name: m[2], header: m[3] ?? '' };
}

export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

// Rendered once per resource and reused (the check before a plan, the operation, the plan's text).
const rendered = new WeakMap<Attrs, Script>();

export function textScript(attrs: Attrs): Script {
  let s = rendered.get(attrs);
  if (!s) rendered.set(attrs, (s = renderScript(attrs)));
  return s;
}

function renderScript(attrs: Attrs): Script {
  const lines: string[] = [];
  const ruleAt = new Map<number, number>();
  for (const t of TABLES) lines.push(`table ${t} nethost {}`, `delete table ${t} nethost`);
  const tables = strings(attrs.tables);
  const chains = strings(attrs.chains).map(splitChain);
  // Rules by chain, each with its index in attrs.rules, in their order.
  const byChain = new Map<string, { text: string; i: number }[]>();
  strings(attrs.rules).forEach((entry, i) => {
    const r = splitRule(entry);
    const k = `${r.table} ${r.chain}`;
    (byChain.get(k) ?? byChain.set(k, []).get(k)!).push({ text: r.text, i });
  });
  for (const t of TABLES) {
    if (!tables.includes(t)) continue;
    lines.push(`table ${t} nethost {`);
    for (const c of chains) {
      if (c.table !== t) continue;
      lines.push(`\tchain ${c.name} {`);
      if (c.header) lines.push(`\t\t${c.header}`);
      for (const r of byChain.get(`${t} ${c.name}`) ?? []) {
        lines.push(`\t\t${r.text}`);
        ruleAt.set(lines.length, r.i);
      }
      lines.push('\t}');
    }
    lines.push('}');
  }
  return { text: lines.join('\n') + '\n', ruleAt };
}

/** The same for a table as it was read (restore): nft's own JSON, which `nft -j -f` takes back,
 *  from each table's stateless listing (`nft -j list table`, handles dropped). */
export function jsonScript(listings: readonly string[]): string {
  const cmds: unknown[] = [];
  for (const t of TABLES)
    cmds.push(
      { add: { table: { family: t, name: 'nethost' } } },
      { delete: { table: { family: t, name: 'nethost' } } },
    );
  for (const l of listings)
    for (const o of JSON.parse(l).nftables ?? []) {
      if (o.metainfo) continue;
      const [type] = Object.keys(o);
      // Elements' timers are state: a restored element starts its timeout anew.
      const v = { ...o[type], handle: undefined, comment_handle: undefined };
      if (Array.isArray(v.elem))
        v.elem = v.elem.map((e: any) => (e?.elem ? { elem: { ...e.elem, expires: undefined } } : e));
      cmds.push({ add: { [type]: v } });
    }
  return JSON.stringify({ nftables: cmds }) + '\n';
}
