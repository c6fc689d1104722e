import { defineLinkKind, type LinkSpec } from './define.js';
import { linkId } from '../../model.js';
import { z } from 'zod';
import { ifname } from '../fields.js';

const MODES = ['bridge', 'vepa', 'private', 'passthru'] as const;

function macvlanLike(kind: 'macvlan' | 'macvtap'): LinkSpec {
  return {
    configKind: kind,
    fields: {
      link: ifname.describe('lower device'),
      mode: z.enum(MODES).optional().describe('bridge | vepa | private | passthru; default vepa (the kernel default)'),
    },
    matches: (l) => l.linkinfo?.info_kind === kind,
    immutable: ['link'],
    // The kernel changes bridge/vepa/private in place but refuses passthru either way (EINVAL).
    replaceWhen: (name, before, after) => name === 'mode' && (before === 'passthru' || after === 'passthru'),
    attrs: (e) => ({
      attrs: { link: e.link, mode: e.mode ?? 'vepa' },
      deps: [{ id: linkId(e.link), via: 'link', mode: 'recreate' }],
    }),
    liveAttrs: (l) => ({ link: typeof l.link === 'string' ? l.link : undefined, mode: l.linkinfo?.info_data?.mode }),
    createArgs: (_n, a) => ['link', String(a.link), 'type', kind, 'mode', String(a.mode)],
    changeArgs: (c) => ['type', kind, 'mode', String(c.mode)],
  };
}

export const macvlan = defineLinkKind(macvlanLike('macvlan'));
export const macvtap = defineLinkKind(macvlanLike('macvtap'));
