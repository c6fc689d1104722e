// Rule by rule: what a firewall change adds and removes, grouped by chain, for the plan's human and
// JSON forms. A longest common subsequence per chain keeps the rules that stay in place out of it
// (chains are short: one per guarded port and direction, or one per hook).
import type { Attrs } from '../../model.js';
import { splitChain, splitRule, strings } from '../../backends/nft/ruleset.js';

export interface ChainDiff {
  table: string;
  chain: string;
  /** 'created' / 'deleted' when the chain itself comes or goes; 'changed' when its header does. */
  chainChange?: 'created' | 'deleted' | 'changed';
  header?: { before?: string; after?: string };
  lines: { op: '+' | '-'; rule: string }[];
}

/** A shortest list of removals and additions that turns a into b (additions first where both fit). */
function lcsDiff(a: string[], b: string[]): { op: '+' | '-'; rule: string }[] {
  // The rules before the first difference and after the last stay in place: only the middle needs
  // the table (most changes touch a few rules of a long chain: linear, not length × length).
  let lo = 0;
  while (lo < a.length && lo < b.length && a[lo] === b[lo]) lo++;
  let hiA = a.length;
  let hiB = b.length;
  while (hiA > lo && hiB > lo && a[hiA - 1] === b[hiB - 1]) hiA--, hiB--;
  const n = hiA - lo;
  const m = hiB - lo;
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i][j] = a[lo + i] === b[lo + j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out: { op: '+' | '-'; rule: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[lo + i] === b[lo + j]) i++, j++;
    else if (j < m && (i === n || dp[i][j + 1] >= dp[i + 1][j])) out.push({ op: '+', rule: b[lo + j++] });
    else out.push({ op: '-', rule: a[lo + i++] });
  }
  return out;
}

export { lcsDiff };

export function firewallDiff(before: Attrs | undefined, after: Attrs | undefined): ChainDiff[] {
  const chainsOf = (a?: Attrs) =>
    new Map(
      strings(a?.chains)
        .map(splitChain)
        .map((c) => [`${c.table} ${c.name}`, c.header]),
    );
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
    const chainChange =
      hb === undefined && ha !== undefined
        ? 'created'
        : ha === undefined && hb !== undefined
          ? 'deleted'
          : hb !== ha
            ? 'changed'
            : undefined;
    if (!lines.length && !chainChange) continue;
    out.push({
      table,
      chain,
      ...(chainChange ? { chainChange } : {}),
      ...(chainChange === 'changed' ? { header: { before: hb, after: ha } } : {}),
      lines,
    });
  }
  return out;
}
