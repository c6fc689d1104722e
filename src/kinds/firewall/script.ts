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

export function textScript(attrs: Attrs): Script {
  const lines: string[] = [];
  const ruleAt = new Map<number, number>();
  for (const t of TABLES) lines.push(`table ${t} nethost {}`, `delete table ${t} nethost`);
  const tables = strings(attrs.tables);
  const chains = strings(attrs.chains).map(splitChain);
  const rules = strings(attrs.rules).map(splitRule);
  for (const t of TABLES) {
    if (!tables.includes(t)) continue;
    lines.push(`table ${t} nethost {`);
    for (const c of chains.filter((c) => c.table === t)) {
      lines.push(`\tchain ${c.name} {`);
      if (c.header) lines.push(`\t\t${c.header}`);
      rules.forEach((r, i) => {
        if (r.table !== t || r.chain !== c.name) return;
        lines.push(`\t\t${r.text}`);
        ruleAt.set(lines.length, i);
      });
      lines.push('\t}');
    }
    lines.push('}');
  }
  return { text: lines.join('\n') + '\n', ruleAt };
}

/** The same for a table as it was read (restore): nft's own JSON, which `nft -j -f` takes back. */
export function jsonScript(attrs: Attrs): string {
  const objects: unknown[] = JSON.parse(String(attrs.json));
  const cmds: unknown[] = [];
  for (const t of TABLES) cmds.push({ add: { table: { family: t, name: 'nethost' } } }, { delete: { table: { family: t, name: 'nethost' } } });
  for (const o of objects) cmds.push({ add: o });
  return JSON.stringify({ nftables: cmds }) + '\n';
}
