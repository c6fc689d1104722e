import { defineLinkKind } from './define.js';

export const dummy = defineLinkKind({
  configKind: 'dummy',
  fields: {},
  matches: (l) => l.linkinfo?.info_kind === 'dummy',
  immutable: [],
  attrs: () => ({ attrs: {} }),
  liveAttrs: () => ({}),
  createArgs: () => ['type', 'dummy'],
  // A dummy has no attribute of its own: the change is a common one, the MTU.
  sample: {
    file: 'version: 1\ninterfaces:\n  d0: {kind: dummy, mtu: 1500}\n',
    change: 'version: 1\ninterfaces:\n  d0: {kind: dummy, mtu: 1400}\n',
    needs: ['dummy'],
  },
});
