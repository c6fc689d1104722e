import { defineLinkKind } from './define.js';
import { RANK } from '../ranks.js';

// An existing device (a NIC, or a veth end handed to this namespace): configured, never created or deleted.
// It is the fallback for any live link no other kind claims, and a file may call any device `ethernet`.
export const ethernet = defineLinkKind({
  configKind: 'ethernet',
  rank: RANK.first,
  fields: {},
  matches: () => true,
  immutable: [],
  creatable: false,
  attrs: () => ({ attrs: {} }),
  liveAttrs: () => ({}),
  // eth0 is provided by the test (a veth end): adopted, its MTU changed, and released when dropped.
  sample: {
    file: 'version: 1\ninterfaces:\n  eth0: {kind: ethernet, mtu: 1500}\n',
    change: 'version: 1\ninterfaces:\n  eth0: {kind: ethernet, mtu: 1400}\n',
  },
});
