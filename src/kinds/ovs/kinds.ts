// The Open vSwitch kinds. In the file: `ovs-bridge` (its `ports` a list of names or a map of name →
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
import { linkId } from '../../model.js';
import { z } from 'zod';
import type { AttrChange, Attrs, Diagnostic, Resource } from '../../model.js';
import { NethostError } from '../../model.js';
import type { LinkKind, OpSpec, ResourceKind } from '../types.js';
import { ipAddress, ifname } from '../fields.js';
import { commonLinkFields } from '../links/schema.js';
import { canonicalIp, canonicalMac } from '../../util/net.js';
import { HELD, heldKey, namesHeldKey, OTHER_KEY, PSK_REF, SET_BY_HAND } from '../../backends/ovs/psk.js';
import { OVS_NEXT_TRANSACTION } from '../../backends/ovs/rows.js';
import { assign, bondId, deviceId, equalIgnoring, foreignValues, isOvsDevice, nameOf, OVS_KEYS_KEY, OVS_MARK, OVS_MARK_KEY, ovsName, ovsOp, patchId, portId, PSK_REF_KEY, tunnelId } from './common.js';
import { DEFAULT_DST_PORT, DEFAULT_PRIORITY, ovsLiveResources, TUNNEL_TYPES } from './live.js';

const OVS_RANK = 12;
const DEVICE_RANK = 13;
const vlan = z.number().int().min(0).max(4095);
const stateField = z.enum(['up', 'down']).default('up').describe('administrative state of its kernel device; default up');

const portSettings = z
  .object({
    tag: vlan.optional().describe('access port on this VLAN (0–4095)'),
    trunks: z.array(vlan).optional().describe('VLANs a trunk port carries; absent: all'),
    vlan_mode: z.enum(['trunk', 'access', 'native-tagged', 'native-untagged', 'dot1q-tunnel']).optional().describe("OVS's vlan_mode; absent: access with a tag, else trunk"),
  })
  .strict()
  .nullable();

const ipLink = (name: string, state: unknown): OpSpec => ({ backend: 'ip', args: ['link', 'set', 'dev', name, String(state)], disruptive: state === 'down' });

/** Ops that bring a row's columns to `attrs`, for the changed ones. `col` maps an attribute to its
 *  column (`tag`, `other_config:stp-priority`); `clear` values are written by removing the column
 *  or map key (the canonical default). With `record`, the map keys set are recorded on the row
 *  (external_ids:nethost-keys, from the live row's record); a key going back to its default that
 *  someone else had set (the rollback target's `foreign`) gets that value back instead. */
function setRow(table: string, name: string, changes: { name: string; after: unknown }[], col: Record<string, string>, isDefault: (attr: string, v: unknown) => boolean, record?: { live?: Resource; target: Resource }): OpSpec[] {
  const sets: string[] = [];
  const ops: OpSpec[] = [];
  const before = new Set(Array.isArray(record?.live?.attrs.keys) ? (record!.live!.attrs.keys as string[]) : []);
  const keys = new Set(before);
  const foreign = foreignValues(record?.target.attrs.foreign);
  for (const c of changes) {
    const column = col[c.name];
    if (!column) continue;
    const [base, key] = column.split(':');
    const recorded = !!record && key !== undefined && base !== 'external_ids';
    if (c.after === null || c.after === undefined || isDefault(c.name, c.after)) {
      if (recorded && foreign.has(column)) sets.push(`${column}=${JSON.stringify(foreign.get(column))}`);
      else ops.push(key ? ovsOp('remove', table, name, base, key) : ovsOp('clear', table, name, base));
      keys.delete(column);
    } else {
      sets.push(assign(column, c.after as any));
      if (recorded) keys.add(column);
    }
  }
  if (record && (keys.size !== before.size || [...keys].some((k) => !before.has(k)))) {
    if (keys.size) sets.push(`external_ids:${OVS_KEYS_KEY}=${JSON.stringify([...keys].sort().join(','))}`);
    else ops.push(ovsOp('remove', table, name, 'external_ids', OVS_KEYS_KEY));
  }
  return sets.length ? [ovsOp('set', table, name, ...sets), ...ops] : ops;
}

/** Someone else's values of managed keys on a row a rollback recreates: written back, not recorded. */
const foreignSets = (r: Resource) => [...foreignValues(r.attrs.foreign)].map(([k, v]) => `${k}=${JSON.stringify(v)}`);

const markChange = (changes: AttrChange[]) => changes.filter((c) => c.name === 'mark').map((c) => ({ name: 'mark', after: c.after === null ? null : OVS_MARK }));

// ─── ovs-bridge ────────────────────────────────────────────────────────────────────────────────

const BRIDGE_COLS: Record<string, string> = {
  mark: `external_ids:${OVS_MARK_KEY}`,
  datapath: 'datapath_type',
  stp: 'stp_enable',
  rstp: 'rstp_enable',
  stp_priority: 'other_config:stp-priority',
  rstp_priority: 'other_config:rstp-priority',
  fail_mode: 'fail_mode',
};
const bridgeDefault = (a: string, v: unknown) => (a === 'datapath' && v === 'system') || (a === 'fail_mode' && v === 'standalone') || ((a === 'stp_priority' || a === 'rstp_priority') && v === DEFAULT_PRIORITY);

const portNames = (ports: unknown): string[] => (Array.isArray(ports) ? ports : ports && typeof ports === 'object' ? Object.keys(ports) : []);

const ROW_INTERNAL = ['keys', 'foreign'];

export const ovsBridge: LinkKind = {
  name: 'ovs-bridge',
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-bridge',
  rank: OVS_RANK,
  immutable: ['datapath'],
  internal: ROW_INTERNAL,
  equal: equalIgnoring(ROW_INTERNAL),
  disruptive: ['datapath', 'fail_mode'],
  schema: z
    .object({
      kind: z.literal('ovs-bridge'),
      datapath: z.enum(['system', 'netdev']).optional().describe('system (default: the kernel module) | netdev (userspace)'),
      stp: z.boolean().optional().describe('802.1D spanning tree (stp_enable); default false'),
      rstp: z.boolean().optional().describe('rapid spanning tree (rstp_enable); default false'),
      stp_priority: z.number().int().min(0).max(65535).optional().describe('other_config:stp-priority; default 32768'),
      rstp_priority: z.number().int().min(0).max(61440).multipleOf(4096).optional().describe('other_config:rstp-priority, a multiple of 4096; default 32768'),
      fail_mode: z.enum(['standalone', 'secure']).optional().describe('without a controller: standalone (default, a learning switch) | secure (no forwarding)'),
      ports: z.union([z.array(ovsName), z.record(ovsName, portSettings)]).optional().describe('ports: a list of names, or a map of name → {tag, trunks}'),
      foreign_ports: z
        .string()
        .refine((s) => { try { new RegExp(s); return true; } catch { return false; } }, { message: 'not a regular expression; write e.g. "^vnet[0-9]+$"' })
        .optional()
        .describe('regular expression: unmarked ports other tools add (libvirt vnet*) that are expected, not drift'),
      state: stateField,
      addresses: commonLinkFields.addresses,
    })
    .strict(),
  matches: isOvsDevice,
  fromConfig(_name, e) {
    const attrs: Attrs = {
      mark: OVS_MARK,
      datapath: e.datapath ?? 'system',
      stp: e.stp ?? false,
      rstp: e.rstp ?? false,
      stp_priority: e.stp_priority ?? DEFAULT_PRIORITY,
      rstp_priority: e.rstp_priority ?? DEFAULT_PRIORITY,
      fail_mode: e.fail_mode ?? 'standalone',
      foreign_ports: e.foreign_ports ?? null,
    };
    return { attrs, deps: [] };
  },
  portResources(name, e, file) {
    const resources: Resource[] = [{ id: deviceId(name), kind: 'ovs-device', attrs: { state: e.state ?? 'up' }, owned: true, deps: [{ id: linkId(name), via: 'bridge', mode: 'recreate' }] }];
    const diagnostics: Diagnostic[] = [];
    const settings = Array.isArray(e.ports) ? {} : (e.ports ?? {});
    portNames(e.ports).forEach((p, i) => {
      const s = settings[p] ?? {};
      const member = file.get(p);
      if (!member) return; // undeclared or invalid: said where the ports are read
      const path = ['interfaces', name, 'ports', Array.isArray(e.ports) ? i : p];
      const k = member.kind.name;
      if (k === 'ovs-bridge') diagnostics.push({ severity: 'error', message: `${p} is an OVS bridge: it cannot be a port of ${name}`, hint: 'join OVS bridges with a pair of patch ports (kind: ovs-patch, each naming the other as peer) or a veth pair (kind: veth) instead', path });
      const type = k === 'ovs-internal' ? 'internal' : k === 'ovs-tunnel' ? member.entry.type : k === 'ovs-bond' ? 'bond' : k === 'ovs-patch' ? 'patch' : '';
      const members: string[] = k === 'ovs-bond' ? [...(member.entry.ports ?? [])].sort() : [];
      if (k === 'ovs-tunnel' && member.entry.ipsec && (e.datapath ?? 'system') !== 'system')
        diagnostics.push({ severity: 'error', message: `IPsec tunnel ${p} needs the kernel datapath, but ${name} has datapath: ${e.datapath}`, hint: 'put IPsec tunnels on a bridge with datapath: system (ovs-monitor-ipsec keys the kernel\'s xfrm)', path });
      // An internal port's mtu and mac are its Interface row's (mtu_request, mac): absent, not managed.
      const device = k === 'ovs-internal' ? { mtu: member.entry.mtu, mac: member.entry.mac === undefined ? undefined : canonicalMac(member.entry.mac) } : {};
      resources.push({
        id: portId(p),
        kind: 'ovs-port',
        attrs: { mark: OVS_MARK, bridge: name, tag: s.tag ?? null, trunks: [...(s.trunks ?? [])].sort((a: number, b: number) => a - b), vlan_mode: s.vlan_mode ?? null, type, interfaces: k === 'ovs-bond' ? members : undefined, ...device },
        owned: true,
        deps: [
          { id: linkId(name), via: 'bridge', mode: 'recreate' },
          ...(type === '' ? [p] : members).map((m) => ({ id: linkId(m), via: 'interface', mode: 'order' as const })),
        ],
      });
    });
    return { resources, diagnostics };
  },
  fromLive: (raw) => ovsLiveResources(raw, raw.links),
  create(r) {
    const name = nameOf(r.id);
    const a = r.attrs;
    // At creation only what differs from OVS's defaults, as a person would write it.
    const written = Object.keys(BRIDGE_COLS).filter((k) => k !== 'mark' && a[k] !== null && a[k] !== undefined && a[k] !== false && !bridgeDefault(k, a[k]));
    const cols = written.map((k) => assign(BRIDGE_COLS[k], a[k]!));
    const keys = written.map((k) => BRIDGE_COLS[k]).filter((c) => c.startsWith('other_config:')).sort();
    cols.unshift(assign(BRIDGE_COLS.mark, OVS_MARK));
    if (keys.length) cols.push(`external_ids:${OVS_KEYS_KEY}=${JSON.stringify(keys.join(','))}`);
    // One operation: however a run is cut (a kernel operation between two OVS ones, a refusal), the
    // bridge never exists without its mark and datapath (an unmarked bridge would be left alone by a
    // rollback, and without datapath_type ovs-vswitchd tries the kernel's).
    return [ovsOp('add-br', name, '--', 'set', 'Bridge', name, ...cols, ...foreignSets(r))];
  },
  update(d, l, changes) {
    const name = nameOf(d.id);
    return setRow('Bridge', name, [...changes.filter((c) => c.name !== 'mark'), ...markChange(changes)], BRIDGE_COLS, bridgeDefault, { live: l, target: d });
  },
  delete(live, ctx) {
    const name = nameOf(live.id);
    // del-br takes every port with it: never one that nethost did not add.
    const ports = [...ctx.live.resources.values()].filter((r) => r.kind === 'ovs-port' && r.attrs.bridge === name);
    const foreign = ports.filter((r) => !r.owned).map((r) => nameOf(r.id));
    const ifaces = ports.flatMap((r) => foreignInterfaces(r).map((i) => `${i} (on ${nameOf(r.id)})`));
    if (ifaces.length)
      throw new NethostError(`OVS bridge ${name} is not in the file, but it carries ${ifaces.length > 1 ? 'interfaces' : 'interface'} ${ifaces.join(', ')} that nethost did not add: deleting it (del-br) would take ${ifaces.length > 1 ? 'them' : 'it'} too`, [
        { severity: 'error', message: `remove ${ifaces.length > 1 ? 'them' : 'it'} first (ovs-vsctl del-bond-iface), or keep ${name} in the file`, hint: 'nothing was changed' },
      ]);
    if (foreign.length)
      throw new NethostError(`OVS bridge ${name} is not in the file, but it carries ${foreign.length > 1 ? 'ports' : 'port'} ${foreign.join(', ')} that nethost did not add: deleting it (del-br) would take ${foreign.length > 1 ? 'them' : 'it'} too`, [
        { severity: 'error', message: `move or remove ${foreign.join(', ')} first (ovs-vsctl del-port ${name} ${foreign[0]}), or keep ${name} in the file`, hint: 'nothing was changed' },
      ]);
    return [{ ...ovsOp('del-br', name), disruptive: true }];
  },
};

// ─── ovs-port (made from an ovs-bridge's ports) ──────────────────────────────────────────────────

const PORT_COLS: Record<string, string> = { mark: `external_ids:${OVS_MARK_KEY}`, tag: 'tag', trunks: 'trunks', vlan_mode: 'vlan_mode' };
const PORT_INTERNAL = ['unmarked_interfaces', 'device_mtu', 'device_mac'];
/** The Interface rows of a port without nethost's mark (read from OVSDB). */
const unmarkedInterfaces = (r: Resource): string[] => (Array.isArray(r.attrs.unmarked_interfaces) ? (r.attrs.unmarked_interfaces as string[]) : []);
/** Someone else's members of a bond of nethost's (del-port and del-br would take them). */
const foreignInterfaces = (r: Resource): string[] => (r.owned && r.attrs.type === 'bond' ? unmarkedInterfaces(r) : []);
const markIface = (iface: string) => ovsOp('set', 'Interface', iface, assign(`external_ids:${OVS_MARK_KEY}`, OVS_MARK));
const unmarkIface = (iface: string) => ovsOp('remove', 'Interface', iface, 'external_ids', OVS_MARK_KEY);

export const ovsPort: ResourceKind = {
  name: 'ovs-port',
  describe: (r) => `OVS port ${nameOf(r.id)}${r.attrs.bridge ? ` on ${r.attrs.bridge}` : ''}`,
  rank: OVS_RANK,
  internal: PORT_INTERNAL,
  equal: equalIgnoring(PORT_INTERNAL),
  immutable: ['bridge'],
  disruptive: ['tag', 'trunks', 'vlan_mode', 'type'],
  replaceWhen: (name, before, after) => name === 'type' && (before === 'bond') !== (after === 'bond'),
  fromLive: () => [], // read with the bridges (ovs-bridge)
  create(r) {
    const name = nameOf(r.id);
    const a = r.attrs;
    const cols = [
      assign(PORT_COLS.mark, OVS_MARK),
      ...(a.tag !== null && a.tag !== undefined ? [assign('tag', a.tag)] : []),
      ...(Array.isArray(a.trunks) && a.trunks.length ? [assign('trunks', a.trunks)] : []),
      ...(typeof a.vlan_mode === 'string' ? [assign('vlan_mode', a.vlan_mode)] : []),
    ];
    // The Interface rows carry the mark too (a foreign one, added to a bond by hand, is never removed).
    const mark = assign(`external_ids:${OVS_MARK_KEY}`, OVS_MARK);
    if (a.type === 'bond') return [ovsOp('add-bond', String(a.bridge), name, ...(a.interfaces as string[]), ...cols), ...(a.interfaces as string[]).map(markIface)];
    const device = [...(typeof a.mtu === 'number' ? [assign('mtu_request', a.mtu)] : []), ...(typeof a.mac === 'string' ? [`mac=${JSON.stringify(a.mac)}`] : [])];
    return [ovsOp('add-port', String(a.bridge), name, ...cols), ovsOp('set', 'Interface', name, mark, ...(a.type ? [assign('type', a.type)] : []), ...device)];
  },
  update(d, l, changes) {
    const name = nameOf(d.id);
    const ops = setRow('Port', name, [...changes.filter((c) => c.name !== 'mark'), ...markChange(changes)], PORT_COLS, (k, v) => k === 'trunks' && Array.isArray(v) && !v.length);
    const foreignBefore = new Set(unmarkedInterfaces(l));
    const foreignAfter = new Set(unmarkedInterfaces(d)); // a rollback's target: what was unmarked
    const before = new Set(d.attrs.type === 'bond' ? ((l.attrs.interfaces as string[]) ?? []) : [name]);
    const after = new Set(d.attrs.type === 'bond' ? ((d.attrs.interfaces as string[]) ?? []) : [name]);
    const later: OpSpec[] = [];
    for (const c of changes) {
      if (c.name === 'type' && d.attrs.type !== 'bond') ops.push(ovsOp('set', 'Interface', name, assign('type', c.after as string)));
      if (c.name === 'mtu' || c.name === 'mac') {
        const column = c.name === 'mtu' ? 'mtu_request' : 'mac';
        if (c.after !== null) ops.push(ovsOp('set', 'Interface', name, `${column}=${c.name === 'mac' ? JSON.stringify(c.after) : String(c.after)}`));
        else {
          // Only a rollback goes back to unset (the file's absent is "not managed"). OVS keeps the
          // device as it was told last, even against `ip link set`: it is told the device's earlier
          // value first, and the column is cleared in a transaction of its own, after that one.
          const was = c.name === 'mtu' ? d.attrs.device_mtu : d.attrs.device_mac;
          if (was !== null && was !== undefined) ops.push(ovsOp('set', 'Interface', name, `${column}=${c.name === 'mac' ? JSON.stringify(was) : String(was)}`));
          later.push({ ...ovsOp('clear', 'Interface', name, column), phase: 'late', options: [OVS_NEXT_TRANSACTION] });
        }
      }
      if (c.name === 'mark') {
        // Adopting the port adopts its interfaces the file names; a rollback of that unmarks them.
        if (c.after === null) ops.push(...[...foreignAfter].filter((i) => !foreignBefore.has(i)).map(unmarkIface));
        else ops.push(...[...after].filter((i) => before.has(i)).map(markIface));
      }
      if (c.name === 'interfaces') {
        for (const m of after) if (!before.has(m)) ops.push(...(foreignBefore.has(m) ? [] : [ovsOp('add-bond-iface', name, m)]), markIface(m));
        for (const m of before) if (!after.has(m)) ops.push(foreignAfter.has(m) ? unmarkIface(m) : ovsOp('del-bond-iface', name, m));
      }
    }
    return [...ops, ...later];
  },
  delete(live, ctx) {
    const name = nameOf(live.id);
    const foreign = foreignInterfaces(live);
    if (foreign.length)
      throw new NethostError(`OVS port ${name} is not in the file, but it carries ${foreign.length > 1 ? 'interfaces' : 'interface'} ${foreign.join(', ')} that nethost did not add: deleting it (del-port) would take ${foreign.length > 1 ? 'them' : 'it'} too`, [
        { severity: 'error', message: `remove ${foreign.length > 1 ? 'them' : 'it'} first (ovs-vsctl del-bond-iface ${name} ${foreign[0]}), or keep ${name} in the file`, hint: 'nothing was changed' },
      ]);
    // del-br takes its ports with it.
    return ctx.deleting.has(linkId(String(live.attrs.bridge))) ? [] : [{ ...ovsOp('del-port', String(live.attrs.bridge), name), disruptive: true }];
  },
  leftAlone(live, desired) {
    const foreign = foreignInterfaces(live);
    if (live.owned)
      return foreign.length && desired.resources.has(live.id)
        ? `foreign ${foreign.length > 1 ? 'interfaces' : 'interface'} ${foreign.join(', ')} on bond ${nameOf(live.id)}, left alone (listing ${foreign.length > 1 ? 'them' : 'it'} in the bond's ports takes ${foreign.length > 1 ? 'them' : 'it'} over)`
        : undefined;
    if (desired.resources.has(live.id)) return undefined; // adopted
    const br = desired.resources.get(linkId(String(live.attrs.bridge)));
    if (br?.kind !== 'ovs-bridge') return undefined;
    const pattern = br.attrs.foreign_ports;
    const name = nameOf(live.id);
    if (typeof pattern === 'string' && new RegExp(pattern).test(name)) return undefined;
    return `foreign port ${name} on ${live.attrs.bridge}, left alone${pattern ? ` (it does not match foreign_ports ${JSON.stringify(pattern)})` : ' (foreign_ports: "REGEX" on the bridge makes it expected)'}`;
  },
};

// ─── kernel devices of bridges and internal ports ─────────────────────────────────────────────────

const deviceOps = {
  fromLive: () => [],
  create: (r: Resource) => (r.attrs.state === 'up' ? [ipLink(nameOf(r.id), 'up')] : []),
  update: (d: Resource, _l: Resource, changes: AttrChange[]) => changes.filter((c) => c.name === 'state').map((c) => ipLink(nameOf(d.id), c.after)),
  // OVS removes the device with its row.
  delete: () => [],
};

export const ovsDevice: ResourceKind = { name: 'ovs-device', rank: DEVICE_RANK, immutable: [], describe: (r) => `kernel device of OVS bridge ${nameOf(r.id)}`, ...deviceOps };

export const ovsInternal: LinkKind = {
  name: 'ovs-internal',
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-internal',
  rank: DEVICE_RANK,
  immutable: [],
  schema: z
    .object({
      kind: z.literal('ovs-internal'),
      mtu: commonLinkFields.mtu.describe('MTU of its kernel device (mtu_request); absent: not managed'),
      mac: commonLinkFields.mac.describe('MAC address of its kernel device (mac); absent: not managed'),
      state: stateField,
      addresses: commonLinkFields.addresses,
    })
    .strict(),
  matches: () => false, // its kernel device is claimed with every OVS device by ovs-bridge
  fromConfig: (name, e) => ({ attrs: { state: e.state ?? 'up' }, deps: [{ id: portId(name), via: 'port', mode: 'recreate' }] }),
  ...deviceOps,
};

// ─── ovs-tunnel ─────────────────────────────────────────────────────────────────────────────────

const TUNNEL_COLS: Record<string, string> = { remote_ip: 'options:remote_ip', local_ip: 'options:local_ip', key: 'options:key', dst_port: 'options:dst_port' };

function tunnelOps(name: string, changes: { name: string; after: unknown }[], defaults: Attrs, record: { live?: Resource; target: Resource }): OpSpec[] {
  const ops = setRow('Interface', name, changes, TUNNEL_COLS, (k, v) => k === 'dst_port' && v === defaults.dst_port, record);
  const psk = changes.find((c) => c.name === 'ipsec');
  if (psk) {
    if (psk.after === null) ops.push(ovsOp('remove', 'Interface', name, 'options', 'psk'), ovsOp('remove', 'Interface', name, 'external_ids', PSK_REF_KEY));
    else if (namesHeldKey(psk.after)) {
      // Only a rollback's target: the key the tunnel had, which this process read and holds, with
      // its reference (or none). In a transaction of its own; without the key, nothing to run: the
      // report says the file's key stays (unrestorable).
      if (heldKey(name) !== undefined) {
        const held = ovsOp('set', 'Interface', name, `options:psk=${PSK_REF}${HELD}${name}`);
        const ref = psk.after === SET_BY_HAND ? ovsOp('remove', 'Interface', name, 'external_ids', PSK_REF_KEY) : ovsOp('set', 'Interface', name, `external_ids:${PSK_REF_KEY}=${String(psk.after).slice(0, -OTHER_KEY.length)}`);
        ops.push({ ...held, options: ['held key'] }, { ...ref, options: ['held key'] });
      }
    } else ops.push(ovsOp('set', 'Interface', name, `options:psk=${PSK_REF}${psk.after}`, `external_ids:${PSK_REF_KEY}=${psk.after}`));
  }
  return ops;
}

export const ovsTunnel: LinkKind = {
  name: 'ovs-tunnel',
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-tunnel',
  rank: OVS_RANK,
  immutable: [],
  internal: ROW_INTERNAL,
  equal: equalIgnoring(ROW_INTERNAL),
  schema: z
    .object({
      kind: z.literal('ovs-tunnel'),
      // The documents' ipsec_gre is recognised only to say what to write instead.
      type: z
        .enum([...TUNNEL_TYPES, 'ipsec_gre'])
        .refine((t) => t !== 'ipsec_gre', { message: 'OVS removed the ipsec_gre tunnel type; write type: gre (or vxlan, geneve) with ipsec: {psk_file: PATH} (needs the kernel datapath and ovs-monitor-ipsec)' })
        .describe('gre | vxlan | geneve; for IPsec add ipsec: to one of these (ipsec_gre is refused)'),
      remote_ip: ipAddress.describe('the far end (options:remote_ip)'),
      local_ip: ipAddress.optional().describe('source address (options:local_ip)'),
      key: z.number().int().min(0).max(0xffffffff).optional().describe('GRE key, VXLAN VNI or Geneve VNI (options:key)'),
      dst_port: z.number().int().min(1).max(65535).optional().describe('UDP port of vxlan (default 4789) and geneve (6081)'),
      ipsec: z
        .union([z.object({ psk_file: z.string().regex(/^\/[^\0]*$/, 'write an absolute path').describe('file holding the pre-shared key') }).strict(), z.object({ psk_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'write an environment variable name').describe('environment variable holding it') }).strict()])
        .optional()
        .describe('encrypt with IPsec (ovs-monitor-ipsec, kernel datapath); the key is never printed'),
    })
    .strict(),
  nameSchema: ovsName,
  idOf: tunnelId,
  matches: () => false,
  fromConfig(name, e) {
    const attrs: Attrs = {
      remote_ip: canonicalIp(e.remote_ip)!.ip,
      local_ip: e.local_ip ? canonicalIp(e.local_ip)!.ip : null,
      key: e.key ?? null,
      dst_port: e.dst_port ?? DEFAULT_DST_PORT[e.type] ?? null,
      ipsec: e.ipsec ? (e.ipsec.psk_file ? `file:${e.ipsec.psk_file}` : `env:${e.ipsec.psk_env}`) : null,
    };
    return { attrs, deps: [{ id: portId(name), via: 'port', mode: 'recreate' }] };
  },
  portResources: (name, _e, file) => onSomeBridge(name, file),
  fromLive: () => [],
  // The type comes from the port (set in the same transaction); a default dst_port is left unwritten.
  create: (r, ctx) => {
    const type = ctx.desired.resources.get(portId(nameOf(r.id)))?.attrs.type as string;
    const dflt = DEFAULT_DST_PORT[type] ?? null;
    const name = nameOf(r.id);
    const ops = tunnelOps(name, Object.entries(r.attrs).filter(([k, v]) => v !== null && v !== undefined && !(k === 'dst_port' && v === dflt)).map(([name, after]) => ({ name, after })), {}, { target: r });
    const foreign = foreignSets(r);
    return foreign.length ? [...ops, ovsOp('set', 'Interface', name, ...foreign)] : ops;
  },
  update: (d, l, changes, ctx) => {
    const type = ctx.desired.resources.get(portId(nameOf(d.id)))?.attrs.type as string;
    return tunnelOps(nameOf(d.id), changes, { dst_port: DEFAULT_DST_PORT[type] ?? null }, { live: l, target: d });
  },
  delete: () => [], // the port's del-port removes its interface
  unrestorable(c) {
    if (c.action !== 'update') return undefined;
    const left = c.attrs.filter((a) => !ROW_INTERNAL.includes(a.name));
    const key = left.find((a) => a.name === 'ipsec');
    const name = nameOf((c.after ?? c.before)!.id);
    if (left.length !== 1 || !key || !namesHeldKey(key.after) || heldKey(name) !== undefined) return undefined;
    const now = key.before === null ? 'none' : `the one ${String(key.before).replace(/^file:/, '').replace(/^env:/, '$')} holds`;
    return `its IPsec key stays ${now}: the key it had before is not known to this process (nethost never stores keys)`;
  },
};

/** A tunnel or bond must be a port of an ovs-bridge of the file. */
function onSomeBridge(name: string, file: Map<string, { kind: LinkKind; entry: any }>) {
  const on = [...file.values()].some(({ kind, entry }) => kind.name === 'ovs-bridge' && portNames(entry.ports).includes(name));
  const me = file.get(name)!;
  return {
    resources: [],
    diagnostics: on ? [] : [{ severity: 'error' as const, message: `${me.kind.name} ${name} is not a port of any ovs-bridge`, hint: `list it in the ports of an ovs-bridge, e.g. ports: {${name}: {}}`, path: ['interfaces', name] }],
  };
}

// ─── ovs-bond ───────────────────────────────────────────────────────────────────────────────────

const BOND_COLS: Record<string, string> = { bond_mode: 'bond_mode', lacp: 'lacp' };

export const ovsBond: LinkKind = {
  name: 'ovs-bond',
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-bond',
  rank: OVS_RANK,
  immutable: [],
  disruptive: ['bond_mode', 'lacp'],
  schema: z
    .object({
      kind: z.literal('ovs-bond'),
      ports: z.array(ifname).min(2).describe('its member links (kernel devices: ethernet, veth, tap), at least two'),
      bond_mode: z.enum(['active-backup', 'balance-slb', 'balance-tcp']).optional().describe('default active-backup; balance-tcp needs LACP'),
      lacp: z.enum(['active', 'passive', 'off']).optional().describe('default off'),
    })
    .strict(),
  nameSchema: ovsName,
  idOf: bondId,
  matches: () => false,
  fromConfig: (name, e) => ({ attrs: { bond_mode: e.bond_mode ?? 'active-backup', lacp: e.lacp ?? 'off' }, deps: [{ id: portId(name), via: 'port', mode: 'recreate' }] }),
  portResources: (name, _e, file) => onSomeBridge(name, file),
  fromLive: () => [],
  create: (r) => [ovsOp('set', 'Port', nameOf(r.id), assign('bond_mode', r.attrs.bond_mode!), assign('lacp', r.attrs.lacp!))],
  update: (d, _l, changes) => setRow('Port', nameOf(d.id), changes, BOND_COLS, () => false),
  delete: () => [],
};

// ─── ovs-patch ──────────────────────────────────────────────────────────────────────────────────

const PATCH_COLS: Record<string, string> = { peer: 'options:peer' };

export const ovsPatch: LinkKind = {
  name: 'ovs-patch',
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-patch',
  rank: OVS_RANK,
  immutable: [],
  disruptive: ['peer'],
  internal: ROW_INTERNAL,
  equal: equalIgnoring(ROW_INTERNAL),
  schema: z.object({ kind: z.literal('ovs-patch'), peer: ovsName.describe('the patch port at the other end, on another OVS bridge (options:peer)') }).strict(),
  nameSchema: ovsName,
  idOf: patchId,
  matches: () => false,
  fromConfig: (name, e) => ({ attrs: { peer: e.peer }, deps: [{ id: portId(name), via: 'port', mode: 'recreate' }] }),
  portResources(name, e, file) {
    const r = onSomeBridge(name, file);
    const other = file.get(e.peer);
    if (e.peer === name) r.diagnostics.push({ severity: 'error', message: `patch port ${name} names itself as its peer`, hint: 'a patch port pairs with one on another bridge: p-ab {peer: p-ba} and p-ba {peer: p-ab}', path: ['interfaces', name, 'peer'] });
    else if (other && (other.kind.name !== 'ovs-patch' || other.entry.peer !== name))
      r.diagnostics.push({ severity: 'error', message: `patch port ${name} has peer ${e.peer}, but ${e.peer} ${other.kind.name === 'ovs-patch' ? `has peer ${other.entry.peer}` : `is a ${other.kind.name}`}`, hint: `the two ends name each other: ${e.peer}: {kind: ovs-patch, peer: ${name}}`, path: ['interfaces', name, 'peer'] });
    return r;
  },
  fromLive: () => [],
  create: (r) => {
    const name = nameOf(r.id);
    const foreign = foreignSets(r);
    return [...setRow('Interface', name, [{ name: 'peer', after: r.attrs.peer }], PATCH_COLS, () => false, { target: r }), ...(foreign.length ? [ovsOp('set', 'Interface', name, ...foreign)] : [])];
  },
  update: (d, l, changes) => setRow('Interface', nameOf(d.id), changes, PATCH_COLS, () => false, { live: l, target: d }),
  delete: () => [], // the port's del-port removes its interface
};
