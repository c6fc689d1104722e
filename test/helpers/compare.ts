// Two namespaces' networks field by field, read with `ip -j` directly (not through nethost): what a
// document builds by hand in one and nethost builds in the other must come out the same. Left aside:
// what differs between any two namespaces or runs (ifindex, MACs, a veth peer's namespace id, IPv6
// link-local addresses, timers and counters) and ownership marks (ifalias, protocol 232 vs the
// protocol a person writes); a route's being the kernel's own (proto kernel) is compared.
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { ipJson } from './netns.js';

// min_mtu/max_mtu: the limits a GRE reports depend on how it was made, not on the network: 68–65507
// through `ip tunnel add` (the ioctl), 0 (none) through `ip link add` (netlink, what nethost runs).
const LINK_ASIDE = new Set([
  'ifindex',
  'address',
  'broadcast',
  'ifalias',
  'link_index',
  'link_netnsid',
  'operstate',
  'stats64',
  'addr_info',
  'linkinfo',
  'perm_address',
  'parentbus',
  'parentdev',
  'inet6_addr_gen_mode',
  'min_mtu',
  'max_mtu',
]);
// Timers, counters and generated ids in linkinfo data.
const INFO_ASIDE = new Set([
  'hello_timer',
  'tcn_timer',
  'topology_change_timer',
  'gc_timer',
  'bridge_id',
  'root_id',
  'designated_root',
  'designated_bridge',
  'perm_hwaddr',
  'link_failure_count',
  'mii_status',
  'state',
  'forward_delay_timer',
  'hold_timer',
  'message_age_timer',
  'group_addr',
  'ad_actor_system',
  'ad_info',
  'ad_aggregator_id',
  'ad_actor_oper_port_state',
  'ad_partner_oper_port_state',
  'ad_actor_oper_port_state_str',
  'ad_partner_oper_port_state_str',
]);
const strip = (o: Record<string, unknown> | undefined, aside: Set<string>) =>
  o &&
  Object.fromEntries(
    Object.entries(o)
      .filter(([k]) => !aside.has(k))
      .sort(([a], [b]) => a.localeCompare(b)),
  );

export interface NetworkState {
  links: Record<string, unknown>;
  addresses: string[];
  routes: string[];
  neighbours: string[];
  sysctls: Record<string, string>;
}

// A link the kernel has just seen its carrier come on shows LOWER_UP and, until linkwatch runs (up to
// a second later, more under emulation), NO-CARRIER too: wait for that to pass instead of comparing a
// moment (seen in the lab: a veth set up last by hand, read at once).
function settleOperstate(ns: string) {
  const pending = () =>
    ipJson<any[]>(ns, 'link', 'show').some((l) => l.flags.includes('LOWER_UP') && l.flags.includes('NO-CARRIER'));
  const until = Date.now() + 5000;
  while (pending() && Date.now() < until) execFileSync('sleep', ['0.1']);
}

/** The network of a namespace in comparable form; `sysctls` names the keys to read as well. */
export function networkState(ns: string, sysctls: string[] = []): NetworkState {
  settleOperstate(ns);
  const links: Record<string, unknown> = {};
  const addresses: string[] = [];
  for (const l of ipJson<any[]>(ns, '-d', 'address', 'show')) {
    const info = l.linkinfo ?? {};
    links[l.ifname] = {
      ...strip(l, LINK_ASIDE),
      // a veth peer in another namespace is named there, not here
      link: l.link_netnsid !== undefined ? '(other namespace)' : l.link,
      flags: [...l.flags].sort(),
      kind: info.info_kind ?? null,
      data: strip(info.info_data, INFO_ASIDE) ?? null,
      slave: info.info_slave_kind ?? null,
      // a port's number (`no`) is kept: the order ports joined in
      slaveData: strip(info.info_slave_data, INFO_ASIDE) ?? null,
    };
    for (const a of l.addr_info ?? []) {
      if (a.family === 'inet6' && a.scope === 'link') continue;
      addresses.push(`${l.ifname} ${a.local}${a.address ? ` peer ${a.address}` : ''}/${a.prefixlen} scope ${a.scope}`);
    }
  }
  const routes: string[] = [];
  for (const fam of ['-4', '-6'])
    for (const r of ipJson<any[]>(ns, fam, 'route', 'show', 'table', 'all')) {
      if (fam === '-6' && /^fe80:|^ff00:/.test(r.dst)) continue;
      const proto = r.protocol === 'kernel' ? 'kernel' : '(mark)';
      routes.push(
        `${r.type ?? 'unicast'} ${r.dst} table ${r.table ?? 'main'} dev ${r.dev ?? '-'} via ${r.gateway ?? '-'} metric ${r.metric ?? 0} scope ${r.scope ?? '-'} src ${r.prefsrc ?? '-'} ${proto} ${(r.flags ?? []).join(',')}`,
      );
    }
  // Static entries only: learnt ones come and go with traffic, the kernel's NOARP ones with group joins
  // and first use (a point-to-point tunnel's 0.0.0.0).
  const neighbours = ipJson<any[]>(ns, 'neigh', 'show', 'nud', 'all')
    .filter((n) =>
      (n.state ?? []).some(
        (s: string) => s === 'PERMANENT' || (s === 'NOARP' && n.dst !== '0.0.0.0' && !/^(ff|22[4-9]|23\d)/.test(n.dst)),
      ),
    )
    .map((n) => `${n.dev} ${n.dst} ${n.lladdr} ${(n.state ?? []).join(',')}`);
  const values: Record<string, string> = {};
  for (const k of sysctls)
    values[k] = execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', k], { encoding: 'utf8' }).trim();
  return { links, addresses: addresses.sort(), routes: routes.sort(), neighbours: neighbours.sort(), sysctls: values };
}

/** Asserts that two namespaces hold the same network (see networkState for what is left aside). */
export function expectSameNetwork(byHand: string, byNethost: string, sysctls: string[] = []) {
  const a = networkState(byHand, sysctls);
  const b = networkState(byNethost, sysctls);
  expect(b.links, 'links').toEqual(a.links);
  expect(b.addresses, 'addresses').toEqual(a.addresses);
  expect(b.routes, 'routes').toEqual(a.routes);
  expect(b.neighbours, 'neighbours').toEqual(a.neighbours);
  expect(b.sysctls, 'sysctls').toEqual(a.sysctls);
}
