// Open vSwitch's part of the raw live state: the rows of OVSDB's Bridge, Port and Interface tables,
// as `ovs-vsctl --format=json list TABLE` prints them, decoded into plain values. Only the columns
// nethost manages are read, plus `error`, `ofport` and `datapath_id` to tell whether ovs-vswitchd
// built what the database says.

export interface OvsBridgeRow {
  uuid: string;
  name: string;
  ports: string[];
  datapath_type: string;
  datapath_id: string | null;
  stp_enable: boolean;
  rstp_enable: boolean;
  other_config: Record<string, string>;
  fail_mode: string | null;
  external_ids: Record<string, string>;
}

export interface OvsPortRow {
  uuid: string;
  name: string;
  interfaces: string[];
  tag: number | null;
  trunks: number[];
  vlan_mode: string | null;
  bond_mode: string | null;
  lacp: string | null;
  other_config: Record<string, string>;
  external_ids: Record<string, string>;
}

export interface OvsInterfaceRow {
  uuid: string;
  name: string;
  type: string;
  options: Record<string, string>;
  /** Requested MTU and MAC of an internal interface (unset: null). */
  mtu_request: number | null;
  mac: string | null;
  external_ids: Record<string, string>;
  error: string | null;
  ofport: number | null;
}

export interface OvsLive {
  /** The database read (`unix:PATH`), for messages. */
  db: string;
  bridges: OvsBridgeRow[];
  ports: OvsPortRow[];
  interfaces: OvsInterfaceRow[];
  /** ovs-monitor-ipsec answered (asked only when the file has IPsec tunnels). */
  ipsecMonitor?: boolean;
  /** Tunnels whose key in OVSDB is not the one their reference (external_ids:nethost-psk) names now. */
  otherKey?: string[];
}

declare module '../types.js' {
  interface RawLive {
    /** null: not read (the file has no Open vSwitch and no OVSDB of this namespace answers). */
    ovs: OvsLive | null;
  }
}

/** `options` of an OVS op that must run in a transaction after the previous one has been applied
 *  by ovs-vswitchd (never passed to ovs-vsctl). */
export const OVS_NEXT_TRANSACTION = 'next-transaction';

export const BRIDGE_COLUMNS = [
  '_uuid',
  'name',
  'ports',
  'datapath_type',
  'datapath_id',
  'stp_enable',
  'rstp_enable',
  'other_config',
  'fail_mode',
  'external_ids',
];
export const PORT_COLUMNS = [
  '_uuid',
  'name',
  'interfaces',
  'tag',
  'trunks',
  'vlan_mode',
  'bond_mode',
  'lacp',
  'other_config',
  'external_ids',
];
export const INTERFACE_COLUMNS = [
  '_uuid',
  'name',
  'type',
  'options',
  'mtu_request',
  'mac',
  'external_ids',
  'error',
  'ofport',
];

type Json = null | string | number | boolean | Json[] | { [k: string]: Json };

/** One OVSDB datum in ovs-vsctl's JSON: ["uuid", U], ["set", [...]], ["map", [[k, v]...]] or an atom. */
function datum(v: Json): unknown {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string') {
    if (v[0] === 'uuid' || v[0] === 'named-uuid') return String(v[1]);
    if (v[0] === 'set') return (v[1] as Json[]).map(datum);
    if (v[0] === 'map')
      return Object.fromEntries((v[1] as Json[][]).map(([k, x]) => [String(datum(k)), String(datum(x))]));
  }
  return v;
}

/** A set column: OVSDB writes a one-element set as the bare element. */
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]);
/** An optional column (a set of at most one). */
const optional = (v: unknown): unknown => (Array.isArray(v) ? (v[0] ?? null) : (v ?? null));
const map = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};

/** `{"data": [...], "headings": [...]}` → one object per row, keyed by heading. */
export function parseTable(text: string): Record<string, unknown>[] {
  const t = JSON.parse(text) as { data: Json[][]; headings: string[] };
  if (!t || !Array.isArray(t.data) || !Array.isArray(t.headings))
    throw new Error('not an ovs-vsctl --format=json table');
  return t.data.map((row) => Object.fromEntries(t.headings.map((h, i) => [h, datum(row[i])])));
}

export function bridgeRow(r: Record<string, unknown>): OvsBridgeRow {
  return {
    uuid: String(r._uuid),
    name: String(r.name),
    ports: list(r.ports).map(String),
    datapath_type: String(r.datapath_type ?? ''),
    datapath_id: (optional(r.datapath_id) as string | null) ?? null,
    stp_enable: r.stp_enable === true,
    rstp_enable: r.rstp_enable === true,
    other_config: map(r.other_config),
    fail_mode: (optional(r.fail_mode) as string | null) ?? null,
    external_ids: map(r.external_ids),
  };
}

export function portRow(r: Record<string, unknown>): OvsPortRow {
  const tag = optional(r.tag);
  return {
    uuid: String(r._uuid),
    name: String(r.name),
    interfaces: list(r.interfaces).map(String),
    tag: typeof tag === 'number' ? tag : null,
    trunks: list(r.trunks)
      .map(Number)
      .sort((a, b) => a - b),
    vlan_mode: (optional(r.vlan_mode) as string | null) ?? null,
    bond_mode: (optional(r.bond_mode) as string | null) ?? null,
    lacp: (optional(r.lacp) as string | null) ?? null,
    other_config: map(r.other_config),
    external_ids: map(r.external_ids),
  };
}

export function interfaceRow(r: Record<string, unknown>): OvsInterfaceRow {
  const ofport = optional(r.ofport);
  const error = optional(r.error);
  return {
    uuid: String(r._uuid),
    name: String(r.name),
    type: String(r.type ?? ''),
    options: map(r.options),
    mtu_request: typeof optional(r.mtu_request) === 'number' ? (optional(r.mtu_request) as number) : null,
    mac: typeof optional(r.mac) === 'string' ? (optional(r.mac) as string) : null,
    external_ids: map(r.external_ids),
    error: typeof error === 'string' && error ? error : null,
    ofport: typeof ofport === 'number' ? ofport : null,
  };
}

/** The three tables, one JSON document per line, as one `ovs-vsctl -- list … -- list …` prints them. */
export function parseOvsLists(stdout: string, db: string): OvsLive {
  const docs = stdout.split('\n').filter((l) => l.trim());
  if (docs.length !== 3) throw new Error(`expected 3 tables from ovs-vsctl, got ${docs.length}`);
  return {
    db,
    bridges: parseTable(docs[0]).map(bridgeRow),
    ports: parseTable(docs[1]).map(portRow),
    interfaces: parseTable(docs[2]).map(interfaceRow),
  };
}

// The external_ids keys nethost writes (its map keys: the backend owns their names).
/** external_ids key and value on the rows nethost owns. */
export const OVS_MARK_KEY = 'nethost';
export const OVS_MARK = '1';
/** external_ids key on the Bridge and Interface rows nethost writes map keys on: which keys of which
 *  map columns it set (`options:key,options:remote_ip`). It removes only those; a key of the same
 *  name someone else set reads as unset (no drift) and survives every change. */
export const OVS_KEYS_KEY = 'nethost-keys';
/** external_ids key on a tunnel's Interface row: where its IPsec key comes from (never the key). */
export const PSK_REF_KEY = 'nethost-psk';
