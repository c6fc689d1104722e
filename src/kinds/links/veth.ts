import { linkId } from '../../model.js';
import { ifname, netnsName } from '../fields.js';
import { defineLinkKind, linkName } from './define.js';

export const veth = defineLinkKind({
  configKind: 'veth',
  fields: {
    peer: ifname.describe('name of the other end'),
    peer_netns: netnsName.optional().describe('named network namespace the other end is moved into'),
  },
  matches: (l) => l.linkinfo?.info_kind === 'veth',
  immutable: ['peer', 'peer_netns'],
  attrs: (e, name, _f) => ({
    attrs: { peer: e.peer, peer_netns: e.peer_netns ?? null },
    // When both ends are in the file, the lower name creates the pair and the other waits for it.
    deps: !e.peer_netns && e.peer < name ? [{ id: linkId(e.peer), via: 'peer', mode: 'recreate' }] : [],
  }),
  // A peer in another namespace shows only as an index there: unknown here, so never compared.
  liveAttrs: (l) =>
    l.link_netnsid !== undefined
      ? { peer: undefined, peer_netns: undefined }
      : { peer: typeof l.link === 'string' ? l.link : undefined, peer_netns: null },
  createArgs: (_n, a) => {
    const out = ['type', 'veth', 'peer', 'name', String(a.peer)];
    if (a.peer_netns) out.push('netns', String(a.peer_netns));
    return out;
  },
  // Both ends in the file; the change is one end's MTU.
  sample: {
    file: 'version: 1\ninterfaces:\n  v0: {kind: veth, peer: v1, mtu: 1500}\n  v1: {kind: veth, peer: v0}\n',
    change: 'version: 1\ninterfaces:\n  v0: {kind: veth, peer: v1, mtu: 1400}\n  v1: {kind: veth, peer: v0}\n',
  },
  createdBy: (r) => (r.deps.some((d) => d.via === 'peer') ? linkId(String(r.attrs.peer)) : undefined),
  alsoDeletes: (r) => (typeof r.attrs.peer === 'string' ? [r.attrs.peer] : []),
  // A peer the file declares must name this end back; a peer it does not declare is created with
  // this end, so there is nothing to wait for.
  checkFile(r, file) {
    const name = linkName(r.id);
    const { entry } = file.interfaces.get(name)!;
    if (entry.peer_netns) return [];
    const other = file.interfaces.get(entry.peer);
    if (!other) {
      r.deps = r.deps.filter((d) => d.via !== 'peer');
      return [];
    }
    if (other.kind === veth && other.entry.peer === name) return [];
    return [
      {
        severity: 'error',
        message: `veth ${name} names ${entry.peer} as its peer, but ${entry.peer} is not a veth whose peer is ${name}`,
        hint: `write ${entry.peer}: {kind: veth, peer: ${name}}`,
        source: file.at(['interfaces', name, 'peer']),
      },
    ];
  },
});
