// Every rank in one table. A rank breaks the ties the dependency graph leaves: among resources with
// no order between them, lower ranks are put first (and deleted last). Kinds name their tier here.
export const RANK = {
  /** Existing devices (configured, never created) and the firewall: loaded before any link comes
   *  up, removed after every link is gone (a port's guard fails closed). */
  first: 0,
  /** Linux bridges: masters before their ports. */
  bridges: 1,
  /** Bonds: after bridges (a bond is often a bridge's port). */
  bonds: 2,
  /** Per-namespace sysctls: before the links and addresses they shape (disable_ipv6). */
  sysctls: 5,
  /** Every other kernel link. */
  links: 10,
  /** Open vSwitch rows: together, so that one ovs-vsctl transaction carries them. */
  ovsRows: 12,
  /** The kernel devices of OVS bridges and internal ports (`ip link set up`): after their rows. */
  ovsDevices: 13,
  addresses: 20,
  neighbours: 25,
  routes: 30,
  rules: 40,
} as const;

export const OVS_RANK = RANK.ovsRows;
export const DEVICE_RANK = RANK.ovsDevices;
