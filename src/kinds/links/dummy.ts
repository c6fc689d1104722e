import { defineLinkKind } from './define.js';

export const dummy = defineLinkKind({
  configKind: 'dummy',
  fields: {},
  matches: (l) => l.linkinfo?.info_kind === 'dummy',
  immutable: [],
  attrs: () => ({ attrs: {} }),
  liveAttrs: () => ({}),
  createArgs: () => ['type', 'dummy'],
});
