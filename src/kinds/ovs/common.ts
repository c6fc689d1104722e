// The Open vSwitch kinds, one file each (bridge, port, device, internal, tunnel, bond, patch). In the file: `ovs-bridge` (its `ports` a list of names or a map of name →
// port settings), `ovs-internal`, `ovs-tunnel`, `ovs-bond`, `ovs-patch`. Behind them, one resource per OVSDB
// concern, so that the dependency graph orders them against the kernel's objects:
//   link:BR          ovs-bridge   the Bridge row
//   ovs-device:BR    ovs-device   the bridge's kernel device (up/down; its addresses hang on link:BR)
//   ovs-port:P       ovs-port     a Port row on a bridge (tag, trunks) with its Interface's type
//   link:P           ovs-internal an internal port's kernel device (addresses and routes like any link)
//   ovs-tunnel:P     ovs-tunnel   a tunnel Interface's options
//   ovs-bond:P       ovs-bond     a bonded Port's bond settings (its members are the port's interfaces)
//   ovs-patch:P      ovs-patch    a patch Interface's peer (options:peer): two bridges joined
// Every OVSDB change is an operation of the `ovs` backend (one ovs-vsctl transaction per run of them);
// rows are ranked together (12), the kernel devices' `ip link set up` after them (13), so that one
// transaction normally carries every OVS change of an apply.
//
// What the Open vSwitch kinds share: ownership (external_ids:nethost on the Bridge and Port rows
// nethost creates), names, and how the rows of the raw state are found. Ports and tunnels are OVSDB
// rows, not kernel links: only bridges and internal ports have a kernel device (`link:NAME`).
import { z } from 'zod';
import type { AttrValue, Resource } from '../../model.js';
import type { OpSpec } from '../types.js';
import type { RawLink } from '../../backends/ip/raw.js';
import type { RawLive } from '../../backends/types.js';
import type { OvsLive } from '../../backends/ovs/rows.js';

import { OVS_KEYS_KEY, OVS_MARK, OVS_MARK_KEY, PSK_REF_KEY } from '../../backends/ovs/rows.js';

export { OVS_KEYS_KEY, OVS_MARK, OVS_MARK_KEY, PSK_REF_KEY };

export const portId = (name: string) => `ovs-port:${name}`;
export const deviceId = (bridge: string) => `ovs-device:${bridge}`;
export const tunnelId = (name: string) => `ovs-tunnel:${name}`;
export const bondId = (name: string) => `ovs-bond:${name}`;
export const patchId = (name: string) => `ovs-patch:${name}`;
export const nameOf = (id: string) => id.slice(id.indexOf(':') + 1);

/** OVSDB names of ports and tunnels: no kernel limit applies, but they are arguments to ovs-vsctl
 *  and names in OpenFlow: kept to what is safe everywhere. */
export const ovsName = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]{1,64}$/,
    'OVS port names are 1 to 64 letters, digits, "_", "." or "-"; choose e.g. gre0 or vx-east',
  );

export const ovsOp = (...args: string[]): OpSpec => ({ backend: 'ovs', args, disruptive: false });

/** Kernel devices Open vSwitch makes for its datapath and tunnels, whatever its database says. */
const DATAPATH_DEVICE =
  /^(ovs-system|ovs-netdev|gre_sys|ip6gre_sys|erspan_sys|ip6erspan_sys|(vxlan|genev|stt|lisp|gtpu|bareudp)_sys_\d+)$/;

const internals = new WeakMap<OvsLive, Set<string>>();
/** Names of the interfaces with a kernel device of OVS's own: bridges' local ports and internal ports. */
function internalNames(ovs: OvsLive): Set<string> {
  let s = internals.get(ovs);
  if (!s) internals.set(ovs, (s = new Set(ovs.interfaces.filter((i) => i.type === 'internal').map((i) => i.name))));
  return s;
}

/** Is this kernel link Open vSwitch's (never a tap, an ethernet or a vxlan of the kernel kinds)? On
 *  the userspace datapath, bridges and internal ports are persistent taps: only OVSDB tells them apart. */
export function isOvsDevice(l: RawLink, raw: RawLive): boolean {
  if (l.linkinfo?.info_kind === 'openvswitch' || DATAPATH_DEVICE.test(l.ifname)) return true;
  return !!raw.ovs && internalNames(raw.ovs).has(l.ifname);
}

/** What an OVS resource carries for the engine (Resource.carried): never compared or shown. */
export interface OvsCarried {
  /** The row's record of the map keys nethost set (external_ids:nethost-keys). */
  keys?: string[];
  /** Managed map keys someone else set on the row (`column:key` → value): a rollback writes them back. */
  foreign?: Record<string, string>;
  /** A port's interfaces without nethost's mark (a member added to its bond by hand). */
  unmarkedInterfaces?: string[];
  /** An internal port's kernel device as it is: a rollback to "unset" puts these back. */
  deviceMtu?: number | null;
  deviceMac?: string | null;
}

export const ovsCarried = (r: Pick<Resource, 'carried'> | undefined): OvsCarried => (r?.carried ?? {}) as OvsCarried;

/** A row's managed map keys as nethost owns them. `get` answers only for keys in the row's record;
 *  `keys` is the record; `foreign` holds the managed keys someone else set, which a rollback writes back. */
export function ownedMaps(
  ext: Record<string, string>,
  maps: Record<string, Record<string, string>>,
  managed: readonly string[],
) {
  const keys = (ext[OVS_KEYS_KEY] ?? '').split(',').filter(Boolean).sort();
  const mine = new Set(keys);
  const value = (colKey: string) => {
    const i = colKey.indexOf(':');
    return maps[colKey.slice(0, i)]?.[colKey.slice(i + 1)];
  };
  const foreign: Record<string, string> = {};
  for (const k of managed) if (!mine.has(k) && value(k) !== undefined) foreign[k] = value(k)!;
  return { get: (colKey: string) => (mine.has(colKey) ? value(colKey) : undefined), keys, foreign };
}

/** A map key as a canonical attribute value: absent → the default. */
export const num = (v: string | undefined, dflt: number | null): number | null =>
  v === undefined || v === '' || !/^\d+$/.test(v) ? dflt : Number(v);

/** `col=value` for ovs-vsctl (sets as `a,b`, an empty set as `[]`). */
export function assign(col: string, v: AttrValue): string {
  if (Array.isArray(v)) return `${col}=${v.length ? v.join(',') : '[]'}`;
  return `${col}=${v === '' ? '""' : String(v)}`;
}
