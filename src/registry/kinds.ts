// The registry: one line per kind. Link kinds are tried in this order when classifying a live link,
// so `ethernet` (the fallback for any existing device) stays last.
import type { LinkKind, ResourceKind, SectionKind } from '../kinds/types.js';
import { bridge } from '../kinds/links/bridge.js';
import { vxlan } from '../kinds/links/vxlan.js';
import { veth } from '../kinds/links/veth.js';
import { macvlan, macvtap } from '../kinds/links/macvlan.js';
import { tap, tun } from '../kinds/links/tuntap.js';
import { ethernet } from '../kinds/links/ethernet.js';
import { bond } from '../kinds/links/bond.js';
import { vlan } from '../kinds/links/vlan.js';
import { dummy } from '../kinds/links/dummy.js';
import { gre, gretap, ip6gre, ip6gretap } from '../kinds/links/gre.js';
import { address } from '../kinds/address.js';
import { route } from '../kinds/route.js';
import { rule } from '../kinds/rule.js';
import { neighbor } from '../kinds/neighbor.js';
import { sysctl } from '../kinds/sysctl.js';
import { ovsBridge } from '../kinds/ovs/bridge.js';
import { ovsPort } from '../kinds/ovs/port.js';
import { ovsDevice } from '../kinds/ovs/device.js';
import { ovsInternal } from '../kinds/ovs/internal.js';
import { ovsTunnel } from '../kinds/ovs/tunnel.js';
import { ovsBond } from '../kinds/ovs/bond.js';
import { ovsPatch } from '../kinds/ovs/patch.js';
import { firewall } from '../kinds/firewall/firewall.js';

// The OVS kinds come first: ovs-bridge claims the kernel devices Open vSwitch makes (taps on the
// userspace datapath, vxlan_sys_*), before tap, vxlan or ethernet could.
export const LINK_KINDS: LinkKind[] = [
  ovsBridge,
  ovsInternal,
  ovsTunnel,
  ovsBond,
  ovsPatch,
  bridge,
  bond,
  vlan,
  vxlan,
  veth,
  macvlan,
  macvtap,
  tap,
  tun,
  dummy,
  gre,
  gretap,
  ip6gre,
  ip6gretap,
  ethernet,
];
export const SECTION_KINDS: SectionKind[] = [route, rule, neighbor, sysctl, firewall];

// The fields section kinds add to every interface (the firewall's `guard`), given to the link kinds.
const INTERFACE_FIELDS = Object.assign({}, ...SECTION_KINDS.map((k) => k.interfaceFields?.fields ?? {}));
for (const k of LINK_KINDS) k.takeInterfaceFields?.(INTERFACE_FIELDS);
/** Kinds the file does not name directly: made from another kind's entry (an ovs-bridge's ports). */
export const PART_KINDS: ResourceKind[] = [ovsPort, ovsDevice];
export const ALL_KINDS: ResourceKind[] = [...LINK_KINDS, ...PART_KINDS, address, ...SECTION_KINDS];

const byName = new Map<string, ResourceKind>(ALL_KINDS.map((k) => [k.name, k]));
export function kindOf(name: string): ResourceKind {
  const k = byName.get(name);
  if (!k) throw new Error(`internal: unknown resource kind ${name}`);
  return k;
}
export const isLinkKind = (name: string) => LINK_KINDS.some((k) => k.name === name);
