// ovs-bridge: the Bridge row, its ports (made into ovs-port resources) and its kernel device.
import { linkId } from '../../model.js';
import { z } from 'zod';
import type { Attrs, Diagnostic, Resource } from '../../model.js';
import { NethostError } from '../../model.js';
import type { LinkKind } from '../types.js';
import { commonLinkFields } from '../links/schema.js';
import { canonicalMac } from '../../util/net.js';
import {
  assign,
  deviceId,
  isOvsDevice,
  nameOf,
  OVS_KEYS_KEY,
  OVS_MARK,
  OVS_MARK_KEY,
  ovsName,
  ovsOp,
  portId,
} from './common.js';
import { DEFAULT_PRIORITY, ovsLiveResources } from './live.js';
import { OVS_RANK } from '../ranks.js';
import { stateField, portSettings, setRow, foreignSets, markChange, portNames, foreignInterfaces } from './write.js';

const BRIDGE_COLS: Record<string, string> = {
  mark: `external_ids:${OVS_MARK_KEY}`,
  datapath: 'datapath_type',
  stp: 'stp_enable',
  rstp: 'rstp_enable',
  stp_priority: 'other_config:stp-priority',
  rstp_priority: 'other_config:rstp-priority',
  fail_mode: 'fail_mode',
};
const bridgeDefault = (a: string, v: unknown) =>
  (a === 'datapath' && v === 'system') ||
  (a === 'fail_mode' && v === 'standalone') ||
  ((a === 'stp_priority' || a === 'rstp_priority') && v === DEFAULT_PRIORITY);

export const ovsBridge: LinkKind = {
  name: 'ovs-bridge',
  // On the userspace datapath (no kernel module); the change is fail_mode, a column set in place.
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev}\n',
    change: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, fail_mode: secure}\n',
    needs: ['ovs'],
  },
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-bridge',
  rank: OVS_RANK,
  immutable: ['datapath'],
  disruptive: ['datapath', 'fail_mode'],
  schema: z
    .object({
      kind: z.literal('ovs-bridge'),
      datapath: z
        .enum(['system', 'netdev'])
        .optional()
        .describe('system (default: the kernel module) | netdev (userspace)'),
      stp: z.boolean().optional().describe('802.1D spanning tree (stp_enable); default false'),
      rstp: z.boolean().optional().describe('rapid spanning tree (rstp_enable); default false'),
      stp_priority: z.number().int().min(0).max(65535).optional().describe('other_config:stp-priority; default 32768'),
      rstp_priority: z
        .number()
        .int()
        .min(0)
        .max(61440)
        .multipleOf(4096)
        .optional()
        .describe('other_config:rstp-priority, a multiple of 4096; default 32768'),
      fail_mode: z
        .enum(['standalone', 'secure'])
        .optional()
        .describe('without a controller: standalone (default, a learning switch) | secure (no forwarding)'),
      ports: z
        .union([z.array(ovsName), z.record(ovsName, portSettings)])
        .optional()
        .describe('ports: a list of names, or a map of name → {tag, trunks}'),
      foreign_ports: z
        .string()
        .refine(
          (s) => {
            try {
              new RegExp(s);
              return true;
            } catch {
              return false;
            }
          },
          { message: 'not a regular expression; write e.g. "^vnet[0-9]+$"' },
        )
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
    const resources: Resource[] = [
      {
        id: deviceId(name),
        kind: 'ovs-device',
        attrs: { state: e.state ?? 'up' },
        owned: true,
        deps: [{ id: linkId(name), via: 'bridge', mode: 'recreate' }],
      },
    ];
    const diagnostics: Diagnostic[] = [];
    const settings = Array.isArray(e.ports) ? {} : (e.ports ?? {});
    portNames(e.ports).forEach((p, i) => {
      const s = settings[p] ?? {};
      const member = file.get(p);
      if (!member) return; // undeclared or invalid: said where the ports are read
      const path = ['interfaces', name, 'ports', Array.isArray(e.ports) ? i : p];
      const k = member.kind.name;
      if (k === 'ovs-bridge')
        diagnostics.push({
          severity: 'error',
          message: `${p} is an OVS bridge: it cannot be a port of ${name}`,
          hint: 'join OVS bridges with a pair of patch ports (kind: ovs-patch, each naming the other as peer) or a veth pair (kind: veth) instead',
          path,
        });
      const type =
        k === 'ovs-internal'
          ? 'internal'
          : k === 'ovs-tunnel'
            ? member.entry.type
            : k === 'ovs-bond'
              ? 'bond'
              : k === 'ovs-patch'
                ? 'patch'
                : '';
      const members: string[] = k === 'ovs-bond' ? [...(member.entry.ports ?? [])].sort() : [];
      if (k === 'ovs-tunnel' && member.entry.ipsec && (e.datapath ?? 'system') !== 'system')
        diagnostics.push({
          severity: 'error',
          message: `IPsec tunnel ${p} needs the kernel datapath, but ${name} has datapath: ${e.datapath}`,
          hint: "put IPsec tunnels on a bridge with datapath: system (ovs-monitor-ipsec keys the kernel's xfrm)",
          path,
        });
      // An internal port's mtu and mac are its Interface row's (mtu_request, mac): absent, not managed.
      const device =
        k === 'ovs-internal'
          ? { mtu: member.entry.mtu, mac: member.entry.mac === undefined ? undefined : canonicalMac(member.entry.mac) }
          : {};
      resources.push({
        id: portId(p),
        kind: 'ovs-port',
        attrs: {
          mark: OVS_MARK,
          bridge: name,
          tag: s.tag ?? null,
          trunks: [...(s.trunks ?? [])].sort((a: number, b: number) => a - b),
          vlan_mode: s.vlan_mode ?? null,
          type,
          interfaces: k === 'ovs-bond' ? members : undefined,
          ...device,
        },
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
    const written = Object.keys(BRIDGE_COLS).filter(
      (k) => k !== 'mark' && a[k] !== null && a[k] !== undefined && a[k] !== false && !bridgeDefault(k, a[k]),
    );
    const cols = written.map((k) => assign(BRIDGE_COLS[k], a[k]!));
    const keys = written
      .map((k) => BRIDGE_COLS[k])
      .filter((c) => c.startsWith('other_config:'))
      .sort();
    cols.unshift(assign(BRIDGE_COLS.mark, OVS_MARK));
    if (keys.length) cols.push(`external_ids:${OVS_KEYS_KEY}=${JSON.stringify(keys.join(','))}`);
    // One operation: however a run is cut (a kernel operation between two OVS ones, a refusal), the
    // bridge never exists without its mark and datapath (an unmarked bridge would be left alone by a
    // rollback, and without datapath_type ovs-vswitchd tries the kernel's).
    return [ovsOp('add-br', name, '--', 'set', 'Bridge', name, ...cols, ...foreignSets(r))];
  },
  update(d, l, changes) {
    const name = nameOf(d.id);
    return setRow(
      'Bridge',
      name,
      [...changes.filter((c) => c.name !== 'mark'), ...markChange(changes)],
      BRIDGE_COLS,
      bridgeDefault,
      { live: l, target: d },
    );
  },
  delete(live, ctx) {
    const name = nameOf(live.id);
    // del-br takes every port with it: never one that nethost did not add.
    const ports = [...ctx.live.resources.values()].filter((r) => r.kind === 'ovs-port' && r.attrs.bridge === name);
    const foreign = ports.filter((r) => !r.owned).map((r) => nameOf(r.id));
    const ifaces = ports.flatMap((r) => foreignInterfaces(r).map((i) => `${i} (on ${nameOf(r.id)})`));
    if (ifaces.length)
      throw new NethostError(
        `OVS bridge ${name} is not in the file, but it carries ${ifaces.length > 1 ? 'interfaces' : 'interface'} ${ifaces.join(', ')} that nethost did not add: deleting it (del-br) would take ${ifaces.length > 1 ? 'them' : 'it'} too`,
        [
          {
            severity: 'error',
            message: `remove ${ifaces.length > 1 ? 'them' : 'it'} first (ovs-vsctl del-bond-iface), or keep ${name} in the file`,
            hint: 'nothing was changed',
          },
        ],
      );
    if (foreign.length)
      throw new NethostError(
        `OVS bridge ${name} is not in the file, but it carries ${foreign.length > 1 ? 'ports' : 'port'} ${foreign.join(', ')} that nethost did not add: deleting it (del-br) would take ${foreign.length > 1 ? 'them' : 'it'} too`,
        [
          {
            severity: 'error',
            message: `move or remove ${foreign.join(', ')} first (ovs-vsctl del-port ${name} ${foreign[0]}), or keep ${name} in the file`,
            hint: 'nothing was changed',
          },
        ],
      );
    return [{ ...ovsOp('del-br', name), disruptive: true }];
  },
};
