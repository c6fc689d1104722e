import { defineLinkKind, linkName, type LinkSpec } from './define.js';
import { linkId } from '../../model.js';
import { z } from 'zod';
import { ifname } from '../fields.js';

const MODES = ['bridge', 'vepa', 'private', 'passthru'] as const;

function macvlanLike(kind: 'macvlan' | 'macvtap', name: string): LinkSpec {
  // On eth0, which the test provides (a veth end); the change is the mode, bridge → private, in place.
  const sample = (mode: string) =>
    `version: 1\ninterfaces:\n  eth0: {kind: ethernet}\n  ${name}: {kind: ${kind}, link: eth0, mode: ${mode}}\n`;
  return {
    configKind: kind,
    sample: { file: sample('bridge'), change: sample('private') },
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
    // The kernel gives a passthru macvlan/macvtap its lower device alone: any second one is refused.
    checkFile(r, file) {
      if (r.attrs.mode !== 'passthru') return [];
      const name = linkName(r.id);
      const lower = String(r.attrs.link);
      const others = [...file.interfaces]
        .filter(([n, v]) => n !== name && (v.kind === macvlan || v.kind === macvtap) && v.entry.link === lower)
        .map(([n]) => n);
      if (!others.length) return [];
      return [
        {
          severity: 'error',
          message: `${name} is in passthru mode on ${lower}, which also carries ${others.join(', ')}`,
          hint: `a passthru ${kind} must be alone on its lower device: use mode bridge (or vepa, private) for all of them, or move the others`,
          source: file.at(['interfaces', name, 'mode']),
        },
      ];
    },
  };
}

export const macvlan = defineLinkKind(macvlanLike('macvlan', 'mv0'));
export const macvtap = defineLinkKind(macvlanLike('macvtap', 'mt0'));
