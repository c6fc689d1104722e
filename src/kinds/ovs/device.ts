// ovs-device: the kernel device of an OVS bridge (up/down; its addresses hang on link:BR).
import type { ResourceKind } from '../types.js';
import { nameOf } from './common.js';
import { DEVICE_RANK } from '../ranks.js';
import { deviceOps } from './write.js';

export const ovsDevice: ResourceKind = {
  name: 'ovs-device',
  rank: DEVICE_RANK,
  immutable: [],
  describe: (r) => `kernel device of OVS bridge ${nameOf(r.id)}`,
  // The bridge's own kernel device; the change takes it down (the bridge's `state`).
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, state: up}\n',
    change: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, state: down}\n',
    needs: ['ovs'],
  },
  ...deviceOps,
};
