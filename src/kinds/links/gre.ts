import { linkId } from '../../model.js';
import { z } from 'zod';
import { canonicalIp } from '../../util/net.js';
import { ifname, ipAddress } from '../fields.js';
import { defineLinkKind, type LinkSpec } from './define.js';

const ip = (s: unknown) => (typeof s === 'string' && s !== 'any' ? (canonicalIp(s)?.ip ?? null) : null);
/** iproute2 prints GRE keys as dotted quads ("0.0.4.210" is 1234). */
const key = (s: unknown): number | null => {
  if (typeof s === 'number') return s;
  if (typeof s !== 'string') return null;
  const p = s.split('.').map(Number);
  return p.length === 4 ? ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3] : Number(s);
};

function greKind(kind: 'gre' | 'gretap' | 'ip6gre' | 'ip6gretap', sample: LinkSpec['sample']) {
  return defineLinkKind({
    configKind: kind,
    sample,
    fields: {
      local: ipAddress.optional().describe('source address'),
      remote: ipAddress.optional().describe('peer address; absent = unbound (multicast/NBMA GRE with neighbours)'),
      key: z.number().int().min(0).max(0xffffffff).optional().describe('sets ikey and okey'),
      ikey: z.number().int().min(0).max(0xffffffff).optional(),
      okey: z.number().int().min(0).max(0xffffffff).optional(),
      ttl: z.number().int().min(0).max(255).optional().describe('0 = inherit (default)'),
      tos: z.number().int().min(0).max(255).optional().describe('0 = inherit (default)'),
      pmtudisc: z.boolean().optional().describe('default true'),
      dev: ifname.optional().describe('bind the tunnel to this underlay link'),
    },
    matches: (l) => l.linkinfo?.info_kind === kind,
    immutable: ['local', 'remote', 'ikey', 'okey', 'dev'],
    attrs: (e) => ({
      attrs: {
        local: e.local ? canonicalIp(e.local)!.ip : null,
        remote: e.remote ? canonicalIp(e.remote)!.ip : null,
        ikey: e.ikey ?? e.key ?? null,
        okey: e.okey ?? e.key ?? null,
        ttl: e.ttl ?? 0,
        tos: kind.startsWith('ip6') ? undefined : e.tos,
        pmtudisc: kind.startsWith('ip6') ? undefined : (e.pmtudisc ?? true),
        dev: e.dev ?? null,
      },
      deps: e.dev ? [{ id: linkId(e.dev), via: 'dev', mode: 'recreate' }] : [],
    }),
    liveAttrs: (l) => {
      const d = l.linkinfo?.info_data ?? {};
      return {
        local: ip(d.local),
        remote: ip(d.remote),
        ikey: d.ikey === undefined ? null : key(d.ikey),
        okey: d.okey === undefined ? null : key(d.okey),
        ttl: typeof d.ttl === 'number' ? d.ttl : 0,
        tos: d.tos === undefined || d.tos === 'inherit' ? 0 : Number(d.tos),
        pmtudisc: d.pmtudisc,
        dev: typeof d.link === 'string' ? d.link : null,
      };
    },
    createArgs: (_n, a) => ['type', kind, ...greArgs(a)],
    changeArgs: (c, a) => [
      'type',
      kind,
      ...greArgs({ ...c, local: a.local, remote: a.remote, ikey: a.ikey, okey: a.okey }),
    ],
  });
}

function greArgs(a: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (a.local) out.push('local', String(a.local));
  if (a.remote) out.push('remote', String(a.remote));
  if (a.ikey !== null && a.ikey !== undefined) out.push('ikey', String(a.ikey));
  if (a.okey !== null && a.okey !== undefined) out.push('okey', String(a.okey));
  if (a.ttl !== undefined) out.push('ttl', String(a.ttl));
  if (a.tos !== undefined) out.push('tos', String(a.tos));
  if (a.pmtudisc !== undefined) out.push(a.pmtudisc ? 'pmtudisc' : 'nopmtudisc');
  if (a.dev) out.push('dev', String(a.dev));
  return out;
}

/** One keyed tunnel of this kind between two documentation addresses; the change is its TTL (hop
 *  limit), which the kernel changes in place (endpoints and keys it does not). */
function greSample(kind: string, name: string, local: string, remote: string, needs: string): LinkSpec['sample'] {
  const file = (ttl: number) =>
    `version: 1\ninterfaces:\n  ${name}: {kind: ${kind}, local: "${local}", remote: "${remote}", key: 1, ttl: ${ttl}}\n`;
  return { file: file(64), change: file(32), needs: [needs] };
}

export const gre = greKind('gre', greSample('gre', 'gre1', '198.51.100.1', '198.51.100.2', 'ip_gre'));
export const gretap = greKind('gretap', greSample('gretap', 'gt1', '198.51.100.1', '198.51.100.2', 'ip_gre'));
export const ip6gre = greKind('ip6gre', greSample('ip6gre', 'g6', '2001:db8::1', '2001:db8::2', 'ip6_gre'));
export const ip6gretap = greKind('ip6gretap', greSample('ip6gretap', 'gt6', '2001:db8::1', '2001:db8::2', 'ip6_gre'));
