// Policy routing rules. The kernel has no "replace" for rules, so any change is delete + add;
// identity is family, priority and selector. nethost's rules carry `protocol 232`.
import { z } from 'zod';
import type { Diagnostic, Resource } from '../model.js';
import { NETHOST_PROTO } from '../model.js';
import type { SectionKind } from './types.js';
import { canonicalMark, familyOfDestination, formatCidr, networkOf, parseCidr, type Family } from '../util/net.js';
import { fwmark, ifname, tableRef, text } from './fields.js';
import { linkId } from '../model.js';
import { tableNumber } from './route.js';
import type { RawRule } from '../backends/ip/raw.js';
import { quote } from '../util/text.js';
import { RANK } from './ranks.js';

const ACTIONS = ['lookup', 'blackhole', 'unreachable', 'prohibit'] as const;

const ruleEntry = z
  .object({
    priority: z.number().int().min(1).max(32765).describe('1–32765; required (it is how the rule is known)'),
    from: text.optional().describe('source prefix'),
    to: text.optional().describe('destination prefix'),
    fwmark: fwmark.optional().describe('VALUE or VALUE/MASK'),
    iif: ifname.optional().describe('input link'),
    oif: ifname.optional().describe('output link'),
    table: tableRef.optional().describe('table to look up (type lookup)'),
    type: z.enum(ACTIONS).optional().describe('lookup (default) | blackhole | unreachable | prohibit'),
    family: z.enum(['ipv4', 'ipv6']).optional().describe('needed only when neither from nor to says it'),
  })
  .strict();

/** A selector prefix in canonical form. One of length 0 is every address: the kernel keeps no selector
 *  for it and shows `all`, so it is the same rule as none (else the rule never matches its live self). */
const prefix = (s: string | undefined) => {
  const c = s === undefined ? undefined : networkOf(parseCidr(s, false)!);
  return c === undefined || c.prefix === 0 ? null : formatCidr(c);
};

function selectorId(fam: Family, a: Record<string, unknown>) {
  return `rule:${fam}:${a.priority}:${a.from ?? '*'}:${a.to ?? '*'}:${a.fwmark ?? '*'}:${a.iif ?? '*'}:${a.oif ?? '*'}`;
}

function ruleArgs(r: Resource, verb: 'add' | 'del'): string[] {
  const a = r.attrs;
  const args = ['rule', verb, 'priority', String(a.priority)];
  if (a.from) args.push('from', String(a.from));
  if (a.to) args.push('to', String(a.to));
  if (a.fwmark) args.push('fwmark', String(a.fwmark));
  if (a.iif) args.push('iif', String(a.iif));
  if (a.oif) args.push('oif', String(a.oif));
  if (a.type === 'lookup') args.push('table', String(a.table));
  else args.push(String(a.type));
  if (verb === 'add' && a.mark !== null) args.push('protocol', String(a.mark));
  return args;
}

// A batch line cannot carry -6, and `ip rule` takes IPv4 unless told: IPv6 rules go in an `ip -6` batch.
const ruleOp = (r: Resource, verb: 'add' | 'del') => ({
  backend: 'ip' as const,
  ...(r.attrs.family === 6 ? { options: ['-6'] } : {}),
  args: ruleArgs(r, verb),
  disruptive: false,
});

function fromRaw(r: RawRule, family: Family): Resource | undefined {
  if (r.not !== undefined) return undefined; // inverted selectors are not in the file format
  const from = r.src && r.src !== 'all' ? `${r.src}/${r.srclen ?? (family === 4 ? 32 : 128)}` : null;
  const to = r.dst && r.dst !== 'all' ? `${r.dst}/${r.dstlen ?? (family === 4 ? 32 : 128)}` : null;
  const attrs: Record<string, any> = {
    family,
    priority: r.priority,
    from: from && prefix(from),
    to: to && prefix(to),
    fwmark: r.fwmark ? canonicalMark(`${r.fwmark}/${r.fwmask ?? '0xffffffff'}`) : null,
    iif: r.iif ?? null,
    oif: r.oif ?? null,
    type: r.action ?? 'lookup',
    table: r.action ? null : (tableNumber(r.table, { users: {}, groups: {}, tables: {} }) ?? r.table ?? null),
    mark: r.protocol ?? null,
  };
  const deps: Resource['deps'] = [];
  for (const d of [attrs.iif, attrs.oif]) if (d) deps.push({ id: linkId(d), via: 'iif', mode: 'order' });
  return { id: selectorId(family, attrs), kind: 'rule', attrs, owned: attrs.mark === String(NETHOST_PROTO), deps };
}

export const rule: SectionKind = {
  name: 'rule',
  // The change is the table it looks up (a rule is known by its priority and selector).
  sample: {
    file: 'version: 1\nrules:\n  - {priority: 1000, from: 192.0.2.0/24, table: 100}\n',
    change: 'version: 1\nrules:\n  - {priority: 1000, from: 192.0.2.0/24, table: 101}\n',
  },
  describe: (r) => `rule ${r.attrs.priority}`,
  markWords: { field: 'protocol', none: '(none)' },
  section: 'rules',
  rank: RANK.rules,
  schema: z.array(ruleEntry),
  // No in-place change for rules: an update (new table, or nethost's mark) is delete + add.
  immutable: [],
  fromLive(raw, facts) {
    const out: Resource[] = [];
    for (const [list, fam] of [
      [raw.rules4, 4],
      [raw.rules6, 6],
    ] as const) {
      for (const r of list) {
        const x = fromRaw(r, fam);
        if (!x) continue;
        if (typeof x.attrs.table === 'string') x.attrs.table = tableNumber(x.attrs.table, facts) ?? x.attrs.table;
        out.push(x);
      }
    }
    return out;
  },
  fromConfig(entries: z.infer<typeof ruleEntry>[], at, desired, facts) {
    const resources: Resource[] = [];
    const diagnostics: Diagnostic[] = [];
    const seen = new Set<string>(); // ids listed so far: a Set, as files list thousands
    const routesByTable = new Map<unknown, string[]>();
    for (const r of desired.values())
      if (r.kind === 'route')
        (routesByTable.get(r.attrs.table) ?? routesByTable.set(r.attrs.table, []).get(r.attrs.table)!).push(r.id);
    entries.forEach((e, i) => {
      const err = (field: string, message: string, hint: string) =>
        diagnostics.push({
          severity: 'error',
          message,
          hint,
          path: ['rules', i, field],
          source: at(['rules', i, field]) ?? at(['rules', i]),
        });
      for (const f of ['from', 'to'] as const) {
        if (e[f] !== undefined && (e[f] === 'default' || !parseCidr(e[f]!, false)))
          return err(f, `${quote(e[f])} is not an address or prefix`, 'write e.g. 192.0.2.0/24 or 2001:db8::/32');
      }
      const fams = [e.from, e.to].filter((x) => x !== undefined).map((x) => familyOfDestination(x!));
      if (fams.length === 2 && fams[0] !== fams[1])
        return err('to', 'from and to are of different families', 'use two rules, one per family');
      const family: Family = (fams[0] ?? (e.family === 'ipv6' ? 6 : 4)) as Family;
      if (e.family && fams[0] && (e.family === 'ipv6') !== (fams[0] === 6))
        return err('family', `family says ${e.family} but the prefixes say IPv${fams[0]}`, 'remove family');
      const type = e.type ?? 'lookup';
      if (type === 'lookup' && e.table === undefined)
        return err('table', 'a lookup rule needs a table', 'add table: NUMBER (or main)');
      if (type !== 'lookup' && e.table !== undefined)
        return err('table', `a ${type} rule looks up no table`, 'remove table, or drop the type');
      const table = type === 'lookup' ? tableNumber(e.table, facts) : null;
      if (table === undefined)
        return err(
          'table',
          `unknown routing table ${quote(e.table)}`,
          'write a number, main, or a name from /etc/iproute2/rt_tables',
        );
      const attrs: Record<string, any> = {
        family,
        priority: e.priority,
        from: prefix(e.from),
        to: prefix(e.to),
        fwmark: e.fwmark === undefined ? null : canonicalMark(e.fwmark),
        iif: e.iif ?? null,
        oif: e.oif ?? null,
        type,
        table,
        mark: String(NETHOST_PROTO),
      };
      const id = selectorId(family, attrs);
      if (seen.has(id))
        return err(
          'priority',
          `a rule with priority ${e.priority} and the same selector is already listed`,
          'merge them or change the priority',
        );
      seen.add(id);
      const deps: Resource['deps'] = [];
      for (const d of [e.iif, e.oif])
        if (d && desired.has(linkId(d))) deps.push({ id: linkId(d), via: 'iif', mode: 'order' });
      // Steer traffic into a table only once the table is filled.
      for (const id of routesByTable.get(table) ?? []) deps.push({ id, via: 'table', mode: 'order' });
      resources.push({ id, kind: 'rule', attrs, owned: true, deps, source: at(['rules', i]) });
    });
    return { resources, diagnostics };
  },
  create: (r) => [ruleOp(r, 'add')],
  update: (r, live) => [ruleOp(live, 'del'), ruleOp(r, 'add')],
  delete: (r) => [ruleOp(r, 'del')],
};
