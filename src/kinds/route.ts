// Static routes in any table. Identity is what the kernel keys a route on: table, destination, metric.
// nethost's routes carry `proto 232`; kernel, RA and DHCP routes are never read as drift.
import { z } from 'zod';
import type { Diagnostic, Resource } from '../model.js';
import { NETHOST_PROTO } from '../model.js';
import type { HostFacts, SectionKind } from './types.js';
import { canonicalDestination, canonicalIp, coverageIndex, familyOfDestination, parseCidr, type Family } from '../util/net.js';
import { ifname, ipAddress, tableRef, text } from './fields.js';
import { linkId } from './links/common.js';
import type { RawRoute } from '../live/raw.js';
import { quote } from '../util/text.js';

export const ROUTE_TYPES = ['unicast', 'throw', 'blackhole', 'unreachable', 'prohibit'] as const;
const IGNORED_TYPES = new Set(['local', 'broadcast', 'multicast', 'anycast', 'nat']);
const KERNEL_PROTOS = new Set(['kernel', 'ra', 'dhcp', 'redirect', 'kernel_ll', '2', '9', '16', '1']);
const BUILTIN_TABLES: Record<string, number> = { main: 254, default: 253, local: 255 };

export function tableNumber(t: string | number | undefined, facts: HostFacts): number | undefined {
  if (t === undefined) return 254;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  return BUILTIN_TABLES[t] ?? facts.tables[t];
}

const routeEntry = z
  .object({
    to: text.describe('destination: default, an address, or a prefix'),
    via: ipAddress.optional().describe('gateway'),
    dev: ifname.optional().describe('output link'),
    table: tableRef.optional().describe('table number or name; default main'),
    metric: z.number().int().min(0).max(0xffffffff).optional().describe('default 0 (IPv4), 1024 (IPv6)'),
    type: z.enum(ROUTE_TYPES).optional().describe('unicast | throw | blackhole | unreachable | prohibit'),
    onlink: z.boolean().optional().describe('gateway is on the link even if no prefix covers it'),
    src: ipAddress.optional().describe('preferred source address'),
    family: z.enum(['ipv4', 'ipv6']).optional().describe('needed only for "to: default" without a gateway'),
  })
  .strict();

export const routeId = (table: number, dst: string, metric: number) => `route:${table}:${dst}:${metric}`;

function routeArgs(r: Resource, verb: 'replace' | 'del'): string[] {
  const a = r.attrs;
  const args = ['route', verb];
  if (a.type !== 'unicast') args.push(String(a.type));
  // Written as a person would: "default", and no table/metric where they are the defaults.
  args.push(a.dst === '0.0.0.0/0' ? 'default' : String(a.dst));
  if (verb === 'replace') {
    if (a.via) args.push('via', String(a.via));
    if (a.dev) args.push('dev', String(a.dev));
    if (a.onlink) args.push('onlink');
    if (a.src) args.push('src', String(a.src));
  }
  if (a.table !== 254) args.push('table', String(a.table));
  if (a.metric !== (String(a.dst).includes(':') ? 1024 : 0)) args.push('metric', String(a.metric));
  if (verb === 'replace') args.push('proto', String(a.mark ?? 'boot'));
  return args;
}

function fromRaw(r: RawRoute, family: Family, facts: HostFacts): Resource | undefined {
  const type = r.type ?? 'unicast';
  if (IGNORED_TYPES.has(type)) return undefined;
  if (KERNEL_PROTOS.has(r.protocol ?? '')) return undefined;
  const table = tableNumber(r.table, facts);
  if (table === undefined || table === 255) return undefined;
  const dst = canonicalDestination(r.dst, family);
  if (!dst) return undefined;
  const metric = r.metric ?? (family === 6 ? 1024 : 0);
  const mark = r.protocol ?? null;
  const deps = r.dev ? [{ id: linkId(r.dev), via: 'dev', mode: 'recreate' as const }] : [];
  return {
    id: routeId(table, dst, metric),
    kind: 'route',
    attrs: {
      table, dst, metric, type,
      via: r.gateway ? canonicalIp(r.gateway)?.ip ?? r.gateway : null,
      dev: r.dev ?? null,
      onlink: (r.flags ?? []).includes('onlink'),
      src: r.prefsrc ? canonicalIp(r.prefsrc)?.ip ?? r.prefsrc : null,
      mark,
    },
    owned: mark === String(NETHOST_PROTO),
    deps,
  };
}

export const route: SectionKind = {
  name: 'route',
  section: 'routes',
  rank: 30,
  schema: z.array(routeEntry),
  // Table, destination and metric are the identity; every other attribute `ip route replace` changes atomically.
  immutable: [],
  fromLive(raw, facts) {
    const out: Resource[] = [];
    for (const r of raw.routes4) { const x = fromRaw(r, 4, facts); if (x) out.push(x); }
    for (const r of raw.routes6) { const x = fromRaw(r, 6, facts); if (x) out.push(x); }
    return out;
  },
  fromConfig(entries: z.infer<typeof routeEntry>[], at, desired, facts) {
    const resources: Resource[] = [];
    const diagnostics: Diagnostic[] = [];
    const seen = new Set<string>(); // ids listed so far: a Set, as files list thousands
    const covering = coverageIndex([...desired.values()].filter((r) => r.kind === 'address').map((a) => ({ cidr: String(a.attrs.address), value: a.id })));
    entries.forEach((e, i) => {
      const err = (field: string, message: string, hint: string) =>
        diagnostics.push({ severity: 'error', message, hint, path: ['routes', i, field], source: at(['routes', i, field]) ?? at(['routes', i]) });
      const viaFam = e.via ? canonicalIp(e.via)?.family : undefined;
      const toFam = familyOfDestination(e.to);
      if (e.to !== 'default' && !parseCidr(e.to, false)) return err('to', `${quote(e.to)} is not a destination`, 'write default, 192.0.2.0/24 or 2001:db8::/32');
      const family: Family = (toFam ?? viaFam ?? (e.family === 'ipv6' ? 6 : 4)) as Family;
      if (viaFam && viaFam !== family) return err('via', `gateway ${e.via} is not IPv${family} like the destination`, 'use a gateway of the same family');
      const type = e.type ?? 'unicast';
      if (type !== 'unicast' && e.via) return err('via', `a ${type} route has no gateway`, 'remove via, or drop the type');
      if (type === 'unicast' && !e.via && !e.dev) return err('to', 'a unicast route needs a gateway (via) or a link (dev)', 'add via: ADDRESS or dev: LINK');
      const table = tableNumber(e.table, facts);
      if (table === undefined) return err('table', `unknown routing table ${quote(e.table)}`, 'write a number, main, default, or a name from /etc/iproute2/rt_tables');
      const dst = canonicalDestination(e.to, family)!;
      const metric = e.metric ?? (family === 6 ? 1024 : 0);
      const deps: Resource['deps'] = [];
      if (e.dev) deps.push({ id: linkId(e.dev), via: 'dev', mode: 'recreate' });
      if (e.via && !e.onlink) {
        // The kernel drops a route whose gateway it reached through an address that goes away.
        for (const id of covering(e.via)) deps.push({ id, via: 'via', mode: 'recreate' });
      }
      const id = routeId(table, dst, metric);
      if (seen.has(id))
        return err('to', `a route to ${dst} with metric ${metric} in table ${table} is already listed`, 'give one of them another metric or remove it');
      seen.add(id);
      resources.push({
        id,
        kind: 'route',
        attrs: {
          table, dst, metric, type,
          via: e.via ? canonicalIp(e.via)!.ip : null,
          dev: e.dev,
          onlink: e.onlink ?? false,
          src: e.src ? canonicalIp(e.src)!.ip : null,
          mark: String(NETHOST_PROTO),
        },
        owned: true,
        deps,
        source: at(['routes', i]),
      });
    });
    return { resources, diagnostics };
  },
  create: (r) => [{ backend: 'ip', args: routeArgs(r, 'replace'), disruptive: false }],
  update: (r) => [{ backend: 'ip', args: routeArgs(r, 'replace'), disruptive: false }],
  delete: (r, ctx) =>
    r.attrs.dev && ctx.deleting.has(linkId(String(r.attrs.dev))) ? [] : [{ backend: 'ip', args: routeArgs(r, 'del'), disruptive: false }],
};
