import { linkId } from '../../model.js';
import { z } from 'zod';
import { ifname } from '../fields.js';
import { defineLinkKind } from './define.js';

export const vlan = defineLinkKind({
  configKind: 'vlan',
  fields: {
    link: ifname.describe('parent link (ethernet, bond, bridge …)'),
    id: z.number().int().min(1).max(4094).describe('VLAN id, 1–4094'),
    protocol: z.enum(['802.1q', '802.1ad']).optional().describe('802.1q (default) or 802.1ad (QinQ)'),
  },
  matches: (l) => l.linkinfo?.info_kind === 'vlan',
  immutable: ['link', 'id', 'protocol'],
  attrs: (e) => ({
    attrs: { link: e.link, id: e.id, protocol: e.protocol ?? '802.1q' },
    deps: [{ id: linkId(e.link), via: 'link', mode: 'recreate' }],
  }),
  liveAttrs: (l) => {
    const d = l.linkinfo?.info_data ?? {};
    return {
      link: typeof l.link === 'string' ? l.link : undefined,
      id: d.id,
      protocol: typeof d.protocol === 'string' ? d.protocol.toLowerCase() : undefined,
    };
  },
  createArgs: (_n, a) => ['link', String(a.link), 'type', 'vlan', 'protocol', String(a.protocol), 'id', String(a.id)],
  // On eth0, which the test provides (a veth end). Parent, id and protocol are fixed: the change is the MTU.
  sample: {
    file: 'version: 1\ninterfaces:\n  eth0: {kind: ethernet}\n  eth0.10: {kind: vlan, link: eth0, id: 10, mtu: 1500}\n',
    change:
      'version: 1\ninterfaces:\n  eth0: {kind: ethernet}\n  eth0.10: {kind: vlan, link: eth0, id: 10, mtu: 1400}\n',
    needs: ['8021q'],
  },
});
