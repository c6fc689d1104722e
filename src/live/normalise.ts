// live: raw iproute2 JSON → LiveState in canonical form. Pure.
import type { LiveState, Resource } from '../model.js';
import { NETHOST_PROTO } from '../model.js';
import type { RawLive } from '../backends/types.js';
import type { HostFacts } from '../kinds/types.js';
import { LINK_KINDS, SECTION_KINDS } from '../registry/kinds.js';
import { address } from '../kinds/address.js';
import { canonicalIp } from '../util/net.js';

/** `ip -j` prints a protocol number that rt_protos names by its name: nethost's mark is the number. */
function numericMarks(raw: RawLive, facts: HostFacts): RawLive {
  const names = Object.entries(facts.protos ?? {})
    .filter(([, n]) => n === NETHOST_PROTO)
    .map(([name]) => name);
  if (!names.length) return raw;
  const fix = <T extends { protocol?: string }>(list: T[]) =>
    list.map((x) =>
      x.protocol !== undefined && names.includes(x.protocol) ? { ...x, protocol: String(NETHOST_PROTO) } : x,
    );
  return {
    ...raw,
    routes4: fix(raw.routes4),
    routes6: fix(raw.routes6),
    rules4: fix(raw.rules4),
    rules6: fix(raw.rules6),
    neighbors: fix(raw.neighbors),
  };
}

export function normaliseLive(given: RawLive, facts: HostFacts, netns?: string): LiveState {
  const raw = numericMarks(given, facts);
  const resources = new Map<string, Resource>();
  // Each live link belongs to the first kind that claims it (the registry keeps `ethernet` last).
  const byKind = new Map<string, RawLive['links']>();
  const kindOfLink = new Map<string, string>();
  for (const l of raw.links) {
    const k = LINK_KINDS.find((kind) => kind.matches(l, raw))!;
    let list = byKind.get(k.name);
    if (!list) byKind.set(k.name, (list = []));
    list.push(l);
    kindOfLink.set(l.ifname, k.name);
  }
  const holdsPorts = new Set(LINK_KINDS.filter((k) => k.holdsPortsItself).map((k) => k.name));
  for (const k of LINK_KINDS) {
    // A port of Open vSwitch's kernel datapath has `ovs-system` as its master: that is OVS's
    // business (its Port rows), not a kernel master, for the kind that reads the port.
    const links = (byKind.get(k.name) ?? []).map((l) =>
      l.master && holdsPorts.has(kindOfLink.get(l.master)!) && !holdsPorts.has(k.name)
        ? { ...l, master: undefined }
        : l,
    );
    // Every kind reads: a kind may hold objects that have no kernel link (OVS rows).
    for (const r of k.fromLive({ ...raw, links }, facts)) resources.set(r.id, r);
  }
  for (const k of [address, ...SECTION_KINDS]) for (const r of k.fromLive(raw, facts)) resources.set(r.id, r);
  const addresses: string[] = [];
  for (const l of raw.links)
    for (const a of l.addr_info ?? []) {
      // A peer address (`ip addr add A peer B/len`) reaches the peer's prefix.
      const ip = canonicalIp(typeof a.address === 'string' ? a.address : a.local);
      if (ip) addresses.push(`${ip.ip}/${a.prefixlen}`);
    }
  return { netns, resources, linkNames: new Set(raw.links.map((l) => l.ifname)), addresses };
}
