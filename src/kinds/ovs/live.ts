// OVSDB rows (and the kernel devices OVS made) → canonical resources. Defaults are canonical:
// datapath_type "" is system, fail_mode [] is standalone, trunks [] is every VLAN, an absent
// stp-priority is 32768. Run-time columns (ofport, statistics, status, link_state …) are not read
// into attributes, and external_ids keys other than nethost's are never looked at. Map keys nethost
// manages (stp-priority, a tunnel's options) count only where its record (nethost-keys) names them;
// options:psk always counts (an IPsec key set by hand is drift, and so is a key other than the one
// its reference names now: a rotated key file).
import type { Resource } from '../../model.js';
import type { RawLink } from '../../backends/ip/raw.js';
import type { RawLive } from '../../backends/types.js';
import type { OvsInterfaceRow, OvsPortRow } from '../../backends/ovs/rows.js';
import { OTHER_KEY, SET_BY_HAND } from '../../backends/ovs/psk.js';
import { linkId } from '../../model.js';
import { canonicalIp, canonicalMac } from '../../util/net.js';
import {
  bondId,
  deviceId,
  num,
  OVS_MARK_KEY,
  ownedMaps,
  patchId,
  portId,
  PSK_REF_KEY,
  tunnelId,
  type OvsCarried,
} from './common.js';

/** The map keys of each row nethost sets (and records in external_ids:nethost-keys). */
export const BRIDGE_KEYS = ['other_config:stp-priority', 'other_config:rstp-priority'] as const;
export const TUNNEL_KEYS = ['options:remote_ip', 'options:local_ip', 'options:key', 'options:dst_port'] as const;
export const PATCH_KEYS = ['options:peer'] as const;

export const TUNNEL_TYPES = ['gre', 'vxlan', 'geneve'] as const;
export const DEFAULT_DST_PORT: Record<string, number | null> = { gre: null, vxlan: 4789, geneve: 6081 };
export const DEFAULT_PRIORITY = 32768;

const mark = (ext: Record<string, string>) => ext[OVS_MARK_KEY] ?? null;
const state = (l: RawLink | undefined) => (l ? (l.flags.includes('UP') ? 'up' : 'down') : null);
const ip = (s: string | undefined) => (s ? (canonicalIp(s)?.ip ?? s) : null);

export function ovsLiveResources(raw: RawLive, devices: RawLink[]): Resource[] {
  const ovs = raw.ovs;
  if (!ovs) return [];
  const out: Resource[] = [];
  const kernel = new Map(devices.map((l) => [l.ifname, l]));
  const ifaceByUuid = new Map(ovs.interfaces.map((i) => [i.uuid, i]));
  const portByUuid = new Map(ovs.ports.map((p) => [p.uuid, p]));
  const bridgeNames = new Set(ovs.bridges.map((b) => b.name));
  const otherKey = new Set(ovs.otherKey ?? []);
  for (const b of ovs.bridges) {
    const owned = mark(b.external_ids) !== null;
    const keys = ownedMaps(b.external_ids, { other_config: b.other_config }, BRIDGE_KEYS);
    out.push({
      id: linkId(b.name),
      kind: 'ovs-bridge',
      attrs: {
        mark: mark(b.external_ids),
        datapath: b.datapath_type === '' ? 'system' : b.datapath_type,
        stp: b.stp_enable,
        rstp: b.rstp_enable,
        stp_priority: num(keys.get('other_config:stp-priority'), DEFAULT_PRIORITY),
        rstp_priority: num(keys.get('other_config:rstp-priority'), DEFAULT_PRIORITY),
        fail_mode: b.fail_mode ?? 'standalone',
      },
      carried: { keys: keys.keys, foreign: keys.foreign } satisfies OvsCarried,
      owned,
      deps: [],
    });
    out.push({
      id: deviceId(b.name),
      kind: 'ovs-device',
      attrs: { state: state(kernel.get(b.name)) },
      owned,
      deps: [{ id: linkId(b.name), via: 'bridge', mode: 'recreate' }],
    });
    for (const u of b.ports) {
      const p = portByUuid.get(u);
      if (!p || p.name === b.name) continue; // the bridge's own local port is the bridge
      out.push(
        ...portResources(
          p,
          b.name,
          p.interfaces.map((x) => ifaceByUuid.get(x)).filter((x): x is OvsInterfaceRow => !!x),
          kernel,
          bridgeNames,
          otherKey,
        ),
      );
    }
  }
  return out;
}

/** A tunnel's IPsec reference as live: `(set by hand)` without one, marked when OVSDB's key is not
 *  the one it names now (OTHER_KEY: compared by the backend's read, which never shows a key). */
const ipsecRef = (i: OvsInterfaceRow, otherKey: Set<string>) => {
  const ref = i.external_ids[PSK_REF_KEY];
  if (ref === undefined) return SET_BY_HAND;
  return otherKey.has(i.name) ? ref + OTHER_KEY : ref;
};

function portResources(
  p: OvsPortRow,
  bridge: string,
  ifaces: OvsInterfaceRow[],
  kernel: Map<string, RawLink>,
  bridges: Set<string>,
  otherKey: Set<string>,
): Resource[] {
  const owned = mark(p.external_ids) !== null;
  const bond = ifaces.length > 1 || p.bond_mode !== null;
  const type = bond ? 'bond' : (ifaces[0]?.type ?? '');
  const port = portId(p.name);
  // A bond's members are rows of their own (add-bond-iface): one without nethost's mark on a bond of
  // nethost's was added by someone else, is never removed and is not part of its membership. A
  // port's single interface is the port itself (add-port / del-port make and take both).
  const unmarked = ifaces
    .filter((i) => mark(i.external_ids) === null)
    .map((i) => i.name)
    .sort();
  const all = ifaces.map((i) => i.name).sort();
  const members = all.filter((n) => !owned || !unmarked.includes(n));
  const out: Resource[] = [
    {
      id: port,
      kind: 'ovs-port',
      attrs: {
        mark: mark(p.external_ids),
        bridge,
        tag: p.tag,
        trunks: p.trunks,
        vlan_mode: p.vlan_mode,
        type,
        interfaces: bond ? members : undefined,
        // An internal port's kernel device as OVS is asked to keep it (mtu_request, mac), and as it is
        // (a rollback to "unset" puts the device's own values back: clearing the columns leaves them).
        ...(type === 'internal'
          ? {
              mtu: ifaces[0].mtu_request,
              mac: ifaces[0].mac === null ? null : (canonicalMac(ifaces[0].mac) ?? ifaces[0].mac),
            }
          : {}),
      },
      carried: {
        unmarkedInterfaces: unmarked,
        ...(type === 'internal'
          ? {
              deviceMtu: kernel.get(ifaces[0].name)?.mtu ?? null,
              deviceMac: kernel.get(ifaces[0].name)?.address ?? null,
            }
          : {}),
      } satisfies OvsCarried,
      owned,
      // A port is deleted before the kernel link it carries, and before its bridge.
      deps: [
        { id: linkId(bridge), via: 'bridge', mode: 'recreate' },
        ...(type === '' || bond
          ? all.filter((m) => !bridges.has(m)).map((m) => ({ id: linkId(m), via: 'interface', mode: 'order' as const }))
          : []),
      ],
    },
  ];
  const on = { id: port, via: 'port', mode: 'recreate' as const };
  const i = ifaces[0];
  if (bond)
    out.push({
      id: bondId(p.name),
      kind: 'ovs-bond',
      attrs: { bond_mode: p.bond_mode ?? 'active-backup', lacp: p.lacp ?? 'off' },
      owned,
      deps: [on],
    });
  else if (i && i.type === 'internal')
    out.push({
      id: linkId(i.name),
      kind: 'ovs-internal',
      attrs: { state: state(kernel.get(i.name)) },
      owned,
      deps: [on],
    });
  else if (i && i.type === 'patch') {
    const keys = ownedMaps(i.external_ids, { options: i.options }, PATCH_KEYS);
    out.push({
      id: patchId(i.name),
      kind: 'ovs-patch',
      attrs: { peer: keys.get('options:peer') ?? null },
      carried: { keys: keys.keys, foreign: keys.foreign } satisfies OvsCarried,
      owned,
      deps: [on],
    });
  } else if (i && (TUNNEL_TYPES as readonly string[]).includes(i.type)) {
    const keys = ownedMaps(i.external_ids, { options: i.options }, TUNNEL_KEYS);
    const o = {
      remote_ip: keys.get('options:remote_ip'),
      local_ip: keys.get('options:local_ip'),
      key: keys.get('options:key'),
      dst_port: keys.get('options:dst_port'),
    };
    out.push({
      id: tunnelId(i.name),
      kind: 'ovs-tunnel',
      attrs: {
        remote_ip: ip(o.remote_ip),
        local_ip: ip(o.local_ip),
        key: o.key === undefined ? null : /^\d+$/.test(o.key) ? Number(o.key) : o.key,
        dst_port: num(o.dst_port, DEFAULT_DST_PORT[i.type] ?? null),
        ipsec: i.options.psk === undefined ? null : ipsecRef(i, otherKey),
      },
      carried: { keys: keys.keys, foreign: keys.foreign } satisfies OvsCarried,
      owned,
      deps: [on],
    });
  }
  return out;
}
