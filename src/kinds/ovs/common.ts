// What the Open vSwitch kinds share: ownership (external_ids:nethost on the Bridge and Port rows
// nethost creates), names, and how the rows of the raw state are found. Ports and tunnels are OVSDB
// rows, not kernel links: only bridges and internal ports have a kernel device (`link:NAME`).
import { z } from 'zod';
import type { AttrValue } from '../../model.js';
import type { OpSpec } from '../types.js';
import type { RawLink, RawLive } from '../../live/raw.js';
import type { OvsLive } from '../../backends/ovs/raw.js';

/** external_ids key and value on the rows nethost owns. */
export const OVS_MARK_KEY = 'nethost';
export const OVS_MARK = '1';
/** external_ids key on a tunnel's Interface row: where its IPsec key comes from (never the key). */
export const PSK_REF_KEY = 'nethost-psk';

export const portId = (name: string) => `ovs-port:${name}`;
export const deviceId = (bridge: string) => `ovs-device:${bridge}`;
export const tunnelId = (name: string) => `ovs-tunnel:${name}`;
export const bondId = (name: string) => `ovs-bond:${name}`;
export const nameOf = (id: string) => id.slice(id.indexOf(':') + 1);

/** OVSDB names of ports and tunnels: no kernel limit applies, but they are arguments to ovs-vsctl
 *  and names in OpenFlow: kept to what is safe everywhere. */
export const ovsName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'OVS port names are 1 to 64 letters, digits, "_", "." or "-"; choose e.g. gre0 or vx-east');

export const ovsOp = (...args: string[]): OpSpec => ({ backend: 'ovs', args, disruptive: false });

/** Kernel devices Open vSwitch makes for its datapath and tunnels, whatever its database says. */
const DATAPATH_DEVICE = /^(ovs-system|ovs-netdev|gre_sys|ip6gre_sys|erspan_sys|ip6erspan_sys|(vxlan|genev|stt|lisp|gtpu|bareudp)_sys_\d+)$/;

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

/** A map key as a canonical attribute value: absent → the default. */
export const num = (v: string | undefined, dflt: number | null): number | null => (v === undefined || v === '' || !/^\d+$/.test(v) ? dflt : Number(v));

/** `col=value` for ovs-vsctl (sets as `a,b`, an empty set as `[]`). */
export function assign(col: string, v: AttrValue): string {
  if (Array.isArray(v)) return `${col}=${v.length ? v.join(',') : '[]'}`;
  return `${col}=${v === '' ? '""' : String(v)}`;
}
