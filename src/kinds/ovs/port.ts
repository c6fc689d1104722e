// ovs-port: a Port row on a bridge (tag, trunks) with its Interface's type, made from an ovs-bridge's ports.
import { linkId } from '../../model.js';
import { NethostError } from '../../model.js';
import type { OpSpec, ResourceKind } from '../types.js';
import { OVS_NEXT_TRANSACTION } from '../../backends/ovs/rows.js';
import { assign, nameOf, ovsCarried, OVS_MARK, OVS_MARK_KEY, ovsOp } from './common.js';
import { OVS_RANK } from '../ranks.js';
import { setRow, markChange, unmarkedInterfaces, foreignInterfaces, markIface, unmarkIface } from './write.js';

const PORT_COLS: Record<string, string> = {
  mark: `external_ids:${OVS_MARK_KEY}`,
  tag: 'tag',
  trunks: 'trunks',
  vlan_mode: 'vlan_mode',
};
/** The Interface rows of a port without nethost's mark (read from OVSDB). */
export const ovsPort: ResourceKind = {
  name: 'ovs-port',
  // A tap on a userspace-datapath bridge, as an access port; the change is its VLAN tag.
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: {tap0: {tag: 10}}}\n  tap0: {kind: tap}\n',
    change:
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: {tap0: {tag: 20}}}\n  tap0: {kind: tap}\n',
    needs: ['ovs'],
  },
  describe: (r) => `OVS port ${nameOf(r.id)}${r.attrs.bridge ? ` on ${r.attrs.bridge}` : ''}`,
  rank: OVS_RANK,
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
    if (a.type === 'bond')
      return [
        ovsOp('add-bond', String(a.bridge), name, ...(a.interfaces as string[]), ...cols),
        ...(a.interfaces as string[]).map(markIface),
      ];
    const device = [
      ...(typeof a.mtu === 'number' ? [assign('mtu_request', a.mtu)] : []),
      ...(typeof a.mac === 'string' ? [`mac=${JSON.stringify(a.mac)}`] : []),
    ];
    return [
      ovsOp('add-port', String(a.bridge), name, ...cols),
      ovsOp('set', 'Interface', name, mark, ...(a.type ? [assign('type', a.type)] : []), ...device),
    ];
  },
  update(d, l, changes) {
    const name = nameOf(d.id);
    const ops = setRow(
      'Port',
      name,
      [...changes.filter((c) => c.name !== 'mark'), ...markChange(changes)],
      PORT_COLS,
      (k, v) => k === 'trunks' && Array.isArray(v) && !v.length,
    );
    const foreignBefore = new Set(unmarkedInterfaces(l));
    const foreignAfter = new Set(unmarkedInterfaces(d)); // a rollback's target: what was unmarked
    const before = new Set(d.attrs.type === 'bond' ? ((l.attrs.interfaces as string[]) ?? []) : [name]);
    const after = new Set(d.attrs.type === 'bond' ? ((d.attrs.interfaces as string[]) ?? []) : [name]);
    const later: OpSpec[] = [];
    for (const c of changes) {
      if (c.name === 'type' && d.attrs.type !== 'bond')
        ops.push(ovsOp('set', 'Interface', name, assign('type', c.after as string)));
      if (c.name === 'mtu' || c.name === 'mac') {
        const column = c.name === 'mtu' ? 'mtu_request' : 'mac';
        if (c.after !== null)
          ops.push(
            ovsOp(
              'set',
              'Interface',
              name,
              `${column}=${c.name === 'mac' ? JSON.stringify(c.after) : String(c.after)}`,
            ),
          );
        else {
          // Only a rollback goes back to unset (the file's absent is "not managed"). OVS keeps the
          // device as it was told last, even against `ip link set`: it is told the device's earlier
          // value first, and the column is cleared in a transaction of its own, after that one.
          const was = c.name === 'mtu' ? ovsCarried(d).deviceMtu : ovsCarried(d).deviceMac;
          if (was !== null && was !== undefined)
            ops.push(
              ovsOp('set', 'Interface', name, `${column}=${c.name === 'mac' ? JSON.stringify(was) : String(was)}`),
            );
          later.push({ ...ovsOp('clear', 'Interface', name, column), phase: 'late', options: [OVS_NEXT_TRANSACTION] });
        }
      }
      if (c.name === 'mark') {
        // Adopting the port adopts its interfaces the file names; a rollback of that unmarks them.
        if (c.after === null) ops.push(...[...foreignAfter].filter((i) => !foreignBefore.has(i)).map(unmarkIface));
        else ops.push(...[...after].filter((i) => before.has(i)).map(markIface));
      }
      if (c.name === 'interfaces') {
        for (const m of after)
          if (!before.has(m))
            ops.push(...(foreignBefore.has(m) ? [] : [ovsOp('add-bond-iface', name, m)]), markIface(m));
        for (const m of before)
          if (!after.has(m)) ops.push(foreignAfter.has(m) ? unmarkIface(m) : ovsOp('del-bond-iface', name, m));
      }
    }
    return [...ops, ...later];
  },
  delete(live, ctx) {
    const name = nameOf(live.id);
    const foreign = foreignInterfaces(live);
    if (foreign.length)
      throw new NethostError(
        `OVS port ${name} is not in the file, but it carries ${foreign.length > 1 ? 'interfaces' : 'interface'} ${foreign.join(', ')} that nethost did not add: deleting it (del-port) would take ${foreign.length > 1 ? 'them' : 'it'} too`,
        [
          {
            severity: 'error',
            message: `remove ${foreign.length > 1 ? 'them' : 'it'} first (ovs-vsctl del-bond-iface ${name} ${foreign[0]}), or keep ${name} in the file`,
            hint: 'nothing was changed',
          },
        ],
      );
    // del-br takes its ports with it.
    return ctx.deleting.has(linkId(String(live.attrs.bridge)))
      ? []
      : [{ ...ovsOp('del-port', String(live.attrs.bridge), name), disruptive: true }];
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
