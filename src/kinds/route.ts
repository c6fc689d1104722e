// Static routes in any table. Identity is what the kernel keys a route on: table, destination, metric.
// nethost's routes carry `proto 232`; RA and DHCP routes are never read. The routes the kernel derives
// from addresses (`proto kernel`: an address's prefix route, a peer address's route to its peer) are
// read, as the kernel's: never nethost's, never deleted or written (they come and go with their
// address). A file route equal to one of them is satisfied by it; one with its key but other
// attributes is refused, as `ip route replace` would take the kernel's route over.
import { z } from 'zod';
import type { DesiredState, Diagnostic, LiveState, Resource } from '../model.js';
import { NETHOST_ALIAS_EXISTING, NETHOST_PROTO } from '../model.js';
import type { HostFacts, SectionKind } from './types.js';
import {
  canonicalDestination,
  canonicalIp,
  coverageIndex,
  familyOfDestination,
  formatCidr,
  networkOf,
  parseCidr,
  type Cidr,
  type Family,
} from '../util/net.js';
import { addressKey, coveredPrefix, liveAddresses, localIp } from './address.js';
import { ifname, ipAddress, tableRef, text } from './fields.js';
import { linkId } from '../model.js';
import type { RawRoute } from '../backends/ip/raw.js';
import { quote } from '../util/text.js';
import { RANK } from './ranks.js';

export const ROUTE_TYPES = ['unicast', 'throw', 'blackhole', 'unreachable', 'prohibit'] as const;
const IGNORED_TYPES = new Set(['local', 'broadcast', 'multicast', 'anycast', 'nat']);
/** Routes other daemons and the kernel's autoconfiguration own: never read. */
const FOREIGN_PROTOS = new Set(['ra', 'dhcp', 'redirect', 'kernel_ll', '9', '16', '1']);
/** The mark of a route the kernel derived from an address. */
export const KERNEL_MARK = 'kernel';
const isKernelProto = (p: string | undefined) => p === 'kernel' || p === '2';
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

function fromRaw(
  r: RawRoute,
  family: Family,
  facts: HostFacts,
  makers: () => Map<string, string>,
): Resource | undefined {
  const type = r.type ?? 'unicast';
  if (IGNORED_TYPES.has(type)) return undefined;
  if (FOREIGN_PROTOS.has(r.protocol ?? '')) return undefined;
  const table = tableNumber(r.table, facts);
  if (table === undefined || table === 255) return undefined;
  const dst = canonicalDestination(r.dst, family);
  if (!dst) return undefined;
  const metric = r.metric ?? (family === 6 ? 1024 : 0);
  const kernel = isKernelProto(r.protocol);
  // The link-local prefix comes with the link-local address, which nethost never reads either.
  if (kernel && family === 6 && dst === 'fe80::/64') return undefined;
  const mark = kernel ? KERNEL_MARK : (r.protocol ?? null);
  const deps: Resource['deps'] = r.dev ? [{ id: linkId(r.dev), via: 'dev', mode: 'recreate' }] : [];
  if (kernel && r.dev) {
    const maker = makers().get(`${r.dev} ${routeId(table, dst, metric)}`);
    if (maker) deps.push({ id: maker, via: 'address', mode: 'recreate' });
  }
  return {
    id: routeId(table, dst, metric),
    kind: 'route',
    attrs: {
      table,
      dst,
      metric,
      type,
      via: r.gateway ? (canonicalIp(r.gateway)?.ip ?? r.gateway) : null,
      dev: r.dev ?? null,
      onlink: (r.flags ?? []).includes('onlink'),
      src: r.prefsrc ? (canonicalIp(r.prefsrc)?.ip ?? r.prefsrc) : null,
      mark,
    },
    owned: mark === String(NETHOST_PROTO),
    deps,
  };
}

export const route: SectionKind = {
  name: 'route',
  // The change is the gateway (ip route replace, in place).
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\nroutes:\n  - {to: 203.0.113.0/24, via: 192.0.2.254, table: 100}\n',
    change:
      'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\nroutes:\n  - {to: 203.0.113.0/24, via: 192.0.2.253, table: 100}\n',
  },
  section: 'routes',
  rank: RANK.routes,
  schema: z.array(routeEntry),
  // Table, destination and metric are the identity; every other attribute `ip route replace` changes atomically.
  immutable: [],
  fromLive(raw, facts) {
    const out: Resource[] = [];
    // Which address makes each kernel route: worked out once, and only if there is a kernel route.
    let index: Map<string, string> | undefined;
    const makers = () => {
      if (index) return index;
      index = new Map();
      for (const l of raw.links)
        for (const a of liveAddresses(l.ifname, l.addr_info))
          for (const d of derivedRoutes(a)) index.set(`${l.ifname} ${d.id}`, a.id);
      return index;
    };
    for (const r of raw.routes4) {
      const x = fromRaw(r, 4, facts, makers);
      if (x) out.push(x);
    }
    for (const r of raw.routes6) {
      const x = fromRaw(r, 6, facts, makers);
      if (x) out.push(x);
    }
    return out;
  },
  // Met by the kernel's own route for an address: nothing to write, and nothing to take over.
  satisfiedBy: (d, l) =>
    (l.attrs.mark === KERNEL_MARK || d.attrs.mark === KERNEL_MARK) &&
    likeKernelRoute(d, l.attrs.dev as string | null, l.attrs.src as string | null),
  fromConfig(entries: z.infer<typeof routeEntry>[], at, desired, facts) {
    const resources: Resource[] = [];
    const diagnostics: Diagnostic[] = [];
    const seen = new Set<string>(); // ids listed so far: a Set, as files list thousands
    // The routes the kernel will make for the file's addresses, by id: [link, address id, local IP].
    const derived = new Map<string, { dev: string; address: string; src: string; label: string }>();
    for (const a of desired.values())
      if (a.kind === 'address')
        for (const d of derivedRoutes(a))
          if (!derived.has(d.id))
            derived.set(d.id, {
              dev: String(a.attrs.dev),
              address: a.id,
              src: localIp(a),
              label: `address ${addressKey(String(a.attrs.address), a.attrs.peer as string | null)} on ${a.attrs.dev}`,
            });
    const covering = coverageIndex(
      [...desired.values()].filter((r) => r.kind === 'address').map((a) => ({ cidr: coveredPrefix(a), value: a.id })),
    );
    entries.forEach((e, i) => {
      const err = (field: string, message: string, hint: string) =>
        diagnostics.push({
          severity: 'error',
          message,
          hint,
          path: ['routes', i, field],
          source: at(['routes', i, field]) ?? at(['routes', i]),
        });
      const viaFam = e.via ? canonicalIp(e.via)?.family : undefined;
      const toFam = familyOfDestination(e.to);
      if (e.to !== 'default' && !parseCidr(e.to, false))
        return err('to', `${quote(e.to)} is not a destination`, 'write default, 192.0.2.0/24 or 2001:db8::/32');
      const family: Family = (toFam ?? viaFam ?? (e.family === 'ipv6' ? 6 : 4)) as Family;
      if (viaFam && viaFam !== family)
        return err(
          'via',
          `gateway ${e.via} is not IPv${family} like the destination`,
          'use a gateway of the same family',
        );
      const type = e.type ?? 'unicast';
      if (type !== 'unicast' && e.via)
        return err('via', `a ${type} route has no gateway`, 'remove via, or drop the type');
      if (type === 'unicast' && !e.via && !e.dev)
        return err('to', 'a unicast route needs a gateway (via) or a link (dev)', 'add via: ADDRESS or dev: LINK');
      const table = tableNumber(e.table, facts);
      if (table === undefined)
        return err(
          'table',
          `unknown routing table ${quote(e.table)}`,
          'write a number, main, default, or a name from /etc/iproute2/rt_tables',
        );
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
        return err(
          'to',
          `a route to ${dst} with metric ${metric} in table ${table} is already listed`,
          'give one of them another metric or remove it',
        );
      seen.add(id);
      const attrs: Resource['attrs'] = {
        table,
        dst,
        metric,
        type,
        via: e.via ? canonicalIp(e.via)!.ip : null,
        dev: e.dev,
        onlink: e.onlink ?? false,
        src: e.src ? canonicalIp(e.src)!.ip : null,
        mark: String(NETHOST_PROTO),
      };
      const kernel = derived.get(id);
      if (kernel && likeKernelRoute({ attrs } as Resource, kernel.dev, kernel.src)) {
        // The kernel makes this route with the address: the file only says it expects it.
        attrs.mark = KERNEL_MARK;
        attrs.src = undefined;
        deps.push({ id: kernel.address, via: 'address', mode: 'recreate' });
      } else if (kernel) {
        return err(
          'to',
          `a route to ${dst} with metric ${metric} in table ${table} has the key of the kernel's own route for ${kernel.label}: ip route replace would take the kernel's route over`,
          `give it another metric (e.g. metric: ${metric + 10}), or leave it out: the kernel makes a route to ${dst} dev ${kernel.dev} with the address`,
        );
      }
      resources.push({ id, kind: 'route', attrs, owned: true, deps, source: at(['routes', i]) });
    });
    return { resources, diagnostics };
  },
  describe: (r) =>
    `route ${r.attrs.dst === '0.0.0.0/0' || r.attrs.dst === '::/0' ? 'default' : r.attrs.dst}${r.attrs.table === 254 ? '' : ` table ${r.attrs.table}`}${String(r.attrs.dst).includes(':') ? ' (IPv6)' : ''}`,
  markWords: { field: 'proto', none: 'boot' },
  note: (c) =>
    (c.after ?? c.before)?.attrs.mark === KERNEL_MARK
      ? "the kernel's own route for an address: it comes and goes with it"
      : undefined,
  // A gateway must be reachable through an address the file gives, unless an existing device's
  // own addresses may cover it (decided at plan time, against the live addresses: DHCP …).
  checkFile(r, file) {
    if (!r.attrs.via || r.attrs.onlink || r.deps.some((d) => d.via === 'via')) return [];
    if (hasExistingDevice(file.resources)) return [];
    return [
      {
        severity: 'error',
        message: `gateway ${r.attrs.via} is not in any prefix of an address in the file`,
        hint: "add an address on the gateway's subnet, or set onlink: true with dev",
        source: r.source,
      },
    ];
  },
  checkLive(r, desired, live) {
    const out: Diagnostic[] = [];
    const conflict = kernelRouteConflict(r, live.resources.get(r.id));
    if (conflict)
      out.push({
        severity: 'error',
        message: `${route.describe!(r)}: ${conflict}, and ip route replace would take it over`,
        hint: `give it another metric (e.g. metric: ${Number(r.attrs.metric) + 10}), or leave it out: the kernel keeps that route with its address`,
        source: r.source,
      });
    if (r.attrs.via && !r.attrs.onlink && !gatewayCover(desired, live)(String(r.attrs.via)).length)
      out.push({
        severity: 'error',
        message: `gateway ${r.attrs.via} is not reachable: no address here or in the file covers it`,
        hint: "add an address on the gateway's subnet, or set onlink: true with dev",
        source: r.source,
      });
    return out;
  },
  // The kernel's routes come back with their address and go with it: never written, never deleted.
  create: (r) =>
    r.attrs.mark === KERNEL_MARK ? [] : [{ backend: 'ip', args: routeArgs(r, 'replace'), disruptive: false }],
  update: (r) =>
    r.attrs.mark === KERNEL_MARK ? [] : [{ backend: 'ip', args: routeArgs(r, 'replace'), disruptive: false }],
  delete: (r, ctx) =>
    r.attrs.mark === KERNEL_MARK || (r.attrs.dev && ctx.deleting.has(linkId(String(r.attrs.dev))))
      ? []
      : [{ backend: 'ip', args: routeArgs(r, 'del'), disruptive: false }],
};

/**
 * The routes the kernel adds to the main table for an address (`proto kernel`): the prefix route of an
 * IPv4 address shorter than /32 (not on lo, whose go to the local table), the route to an address's peer,
 * and for IPv6 the route to its prefix (also a /128) at metric 256, and with a peer the peer's as well.
 */
export function derivedRoutes(a: Resource): { id: string; dst: string; metric: number }[] {
  const local = parseCidr(String(a.attrs.address));
  if (!local) return [];
  const peer = a.attrs.peer ? parseCidr(String(a.attrs.peer)) : undefined;
  const nets: Cidr[] = [];
  if (local.family === 4) {
    if (a.attrs.dev === 'lo') return [];
    if (peer) nets.push(peer);
    else if (local.prefix < 32) nets.push(local);
  } else {
    nets.push(local);
    if (peer) nets.push(peer);
  }
  const metric = local.family === 4 ? 0 : 256;
  return nets.map((c) => {
    const dst = formatCidr(networkOf(c));
    return { id: routeId(254, dst, metric), dst, metric };
  });
}

/** Can a route be the kernel's own (on `dev`, with preferred source `src`): a plain route to the link? */
function likeKernelRoute(r: Resource, dev: string | null, src: string | null): boolean {
  const a = r.attrs;
  return (
    a.type === 'unicast' && !a.via && !a.onlink && a.dev === dev && (a.src == null || src == null || a.src === src)
  );
}

/** Is any link of the file an existing device (its own addresses, unknown until plan time, may cover a gateway)? */
const existingMemo = new WeakMap<ReadonlyMap<string, Resource>, boolean>();
function hasExistingDevice(resources: ReadonlyMap<string, Resource>): boolean {
  let v = existingMemo.get(resources);
  if (v === undefined)
    existingMemo.set(resources, (v = [...resources.values()].some((x) => x.attrs.mark === NETHOST_ALIAS_EXISTING)));
  return v;
}

/** The prefixes that cover a gateway: the live addresses and the file's (built once per plan). */
const coverMemo = new WeakMap<DesiredState, { live: LiveState; cover: (ip: string) => unknown[] }>();
function gatewayCover(desired: DesiredState, live: LiveState) {
  const m = coverMemo.get(desired);
  if (m && m.live === live) return m.cover;
  const have = [
    ...live.addresses,
    ...[...desired.resources.values()].filter((r) => r.kind === 'address').map(coveredPrefix),
  ];
  const cover = coverageIndex(have.map((cidr) => ({ cidr, value: true })));
  coverMemo.set(desired, { live, cover });
  return cover;
}

/** A live route the kernel derived, which a file route with its key would take over (a problem to report). */
export function kernelRouteConflict(d: Resource, l: Resource | undefined): string | undefined {
  if (!l || l.attrs.mark !== KERNEL_MARK || d.attrs.mark === KERNEL_MARK) return undefined;
  if (likeKernelRoute(d, l.attrs.dev as string | null, l.attrs.src as string | null)) return undefined;
  return `the kernel's own route to ${l.attrs.dst} on ${l.attrs.dev} (made by an address there) has this table, destination and metric`;
}
