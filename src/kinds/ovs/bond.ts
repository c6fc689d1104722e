// ovs-bond: a bonded Port's bond settings (its members are the port's interfaces).
import { z } from 'zod';
import type { LinkKind } from '../types.js';
import { ifname } from '../fields.js';
import { assign, bondId, nameOf, ovsName, ovsOp, portId } from './common.js';
import { OVS_RANK } from '../ranks.js';
import { setRow, onSomeBridge } from './write.js';

const BOND_COLS: Record<string, string> = { bond_mode: 'bond_mode', lacp: 'lacp' };

export const ovsBond: LinkKind = {
  name: 'ovs-bond',
  // Two taps bonded on a userspace-datapath bridge; the change is the bond mode (a Port column).
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [bond0]}\n  bond0: {kind: ovs-bond, ports: [tap0, tap1], bond_mode: active-backup}\n  tap0: {kind: tap}\n  tap1: {kind: tap}\n',
    change:
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [bond0]}\n  bond0: {kind: ovs-bond, ports: [tap0, tap1], bond_mode: balance-slb}\n  tap0: {kind: tap}\n  tap1: {kind: tap}\n',
    needs: ['ovs'],
  },
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
      bond_mode: z
        .enum(['active-backup', 'balance-slb', 'balance-tcp'])
        .optional()
        .describe('default active-backup; balance-tcp needs LACP'),
      lacp: z.enum(['active', 'passive', 'off']).optional().describe('default off'),
    })
    .strict(),
  nameSchema: ovsName,
  idOf: bondId,
  matches: () => false,
  fromConfig: (name, e) => ({
    attrs: { bond_mode: e.bond_mode ?? 'active-backup', lacp: e.lacp ?? 'off' },
    deps: [{ id: portId(name), via: 'port', mode: 'recreate' }],
  }),
  portResources: (name, _e, file) => onSomeBridge(name, file),
  fromLive: () => [],
  create: (r) => [
    ovsOp('set', 'Port', nameOf(r.id), assign('bond_mode', r.attrs.bond_mode!), assign('lacp', r.attrs.lacp!)),
  ],
  update: (d, _l, changes) => setRow('Port', nameOf(d.id), changes, BOND_COLS, () => false),
  delete: () => [],
};
