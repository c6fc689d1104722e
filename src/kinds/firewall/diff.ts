// Rule by rule: what a firewall change adds and removes, grouped by chain, for the plan's human and
// JSON forms. A longest common subsequence per chain keeps the rules that stay in place out of it
// (chains are short: one per guarded port and direction, or one per hook).
import type { Attrs } from '../../model.js';
import { splitChain, splitRule, strings } from './script.js';

export interface ChainDiff {
  table: string;
  chain: string;
  /** 'created' / 'deleted' when the chain itself comes or goes; 'changed' when its header does. */
  chainChange?: 'created' | 'deleted' | 'changed';
  header?: { before?: string; after?: string };
  lines: { op: '+' | '-'; rule: string }[];
}

function lcsDiff(a: string[], b: string[]): { op: '+' | '-'; rule: string }[] {
  const n = a.length;
  const m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out: { op: '+' | '-'; rule: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) (i++, j++);
    else if (j < m && (i === n || dp[i][j + 1] >= dp[i + 1][j])) out.push({ op: '+', rule: b[j++] });
    else out.push({ op: '-', rule: a[i++] });
  }
  return out;
}

export function firewallDiff(before: Attrs | undefined, after: Attrs | undefined): ChainDiff[] {
  const chainsOf = (a?: Attrs) => new Map(strings(a?.chains).map(splitChain).map((c) => [`${c.table} ${c.name}`, c.header]));
  const rulesOf = (a?: Attrs) => {
    const m = new Map<string, string[]>();
    for (const r of strings(a?.rules).map(splitRule)) {
      const k = `${r.table} ${r.chain}`;
      (m.get(k) ?? m.set(k, []).get(k)!).push(r.text);
    }
    return m;
  };
  const cb = chainsOf(before);
  const ca = chainsOf(after);
  const rb = rulesOf(before);
  const ra = rulesOf(after);
  const keys = [...new Set([...ca.keys(), ...cb.keys(), ...ra.keys(), ...rb.keys()])];
  const out: ChainDiff[] = [];
  for (const k of keys) {
    const [table, chain] = k.split(' ');
    const lines = lcsDiff(rb.get(k) ?? [], ra.get(k) ?? []);
    const hb = cb.get(k);
    const ha = ca.get(k);
    const chainChange = hb === undefined && ha !== undefined ? 'created' : ha === undefined && hb !== undefined ? 'deleted' : hb !== ha ? 'changed' : undefined;
    if (!lines.length && !chainChange) continue;
    out.push({ table, chain, ...(chainChange ? { chainChange } : {}), ...(chainChange === 'changed' ? { header: { before: hb, after: ha } } : {}), lines });
  }
  return out;
}
