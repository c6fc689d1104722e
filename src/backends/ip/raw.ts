// The shapes of iproute2's JSON output (`ip -j -d addr`, `ip -j route`, …), as far as nethost reads them.
// Kept raw: kinds normalise them. Fixtures of these shapes live in test/fixtures/. Each backend
// (src/backends/) reads and owns its fields.

export interface RawAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope?: string;
  dynamic?: boolean;
  valid_life_time?: number;
  label?: string;
  [k: string]: unknown;
}

export interface RawLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  link_type?: string;
  master?: string;
  link?: string | null;
  link_index?: number;
  link_netnsid?: number;
  ifalias?: string;
  operstate?: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, any>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, any>;
  };
  addr_info?: RawAddrInfo[];
  [k: string]: unknown;
}

export interface RawRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  metric?: number;
  scope?: string;
  prefsrc?: string;
  flags?: string[];
  [k: string]: unknown;
}

export interface RawRule {
  priority: number;
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  fwmark?: string;
  fwmask?: string;
  iif?: string;
  oif?: string;
  table?: string;
  action?: string;
  protocol?: string;
  not?: null;
  [k: string]: unknown;
}

export interface RawNeighbor {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
  protocol?: string;
  [k: string]: unknown;
}

declare module '../types.js' {
  /** iproute2's part: links with their addresses, routes, rules and neighbours. */
  interface RawLive {
    links: RawLink[];
    routes4: RawRoute[];
    routes6: RawRoute[];
    rules4: RawRule[];
    rules6: RawRule[];
    neighbors: RawNeighbor[];
  }
}
