// ovs-internal: an internal port's kernel device (addresses and routes like any link).
import { z } from 'zod';
import type { LinkKind } from '../types.js';
import { commonLinkFields } from '../links/schema.js';
import { portId } from './common.js';
import { DEVICE_RANK } from '../ranks.js';
import { stateField, deviceOps } from './write.js';

export const ovsInternal: LinkKind = {
  name: 'ovs-internal',
  // Its own attribute is its kernel device's state (mtu and mac are its port's Interface row).
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [mgmt0]}\n  mgmt0: {kind: ovs-internal, state: up}\n',
    change:
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [mgmt0]}\n  mgmt0: {kind: ovs-internal, state: down}\n',
    needs: ['ovs'],
  },
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
  fromConfig: (name, e) => ({
    attrs: { state: e.state ?? 'up' },
    deps: [{ id: portId(name), via: 'port', mode: 'recreate' }],
  }),
  ...deviceOps,
};
