import { linkId } from '../../model.js';
import { z } from 'zod';
import { canonicalIp } from '../../util/net.js';
import { ifname, ipAddress } from '../fields.js';
import { defineLinkKind } from './define.js';

const ip = (s: string | undefined) => (s === undefined ? undefined : canonicalIp(s)?.ip);

export const vxlan = defineLinkKind({
  configKind: 'vxlan',
  fields: {
    vni: z.number().int().min(0).max(16_777_215).describe('VXLAN network identifier, 0–16777215'),
    group: ipAddress.optional().describe('multicast group (needs dev); exclusive with remote'),
    remote: ipAddress.optional().describe('unicast remote endpoint; exclusive with group'),
    local: ipAddress.optional().describe('source address'),
    dev: ifname.optional().describe('underlay link'),
    dstport: z.number().int().min(1).max(65535).optional().describe('UDP port; default 4789 (IANA)'),
    ttl: z.number().int().min(0).max(255).optional().describe('0 = inherit; default 0'),
    learning: z.boolean().optional().describe('FDB learning; default true'),
  },
  matches: (l) => l.linkinfo?.info_kind === 'vxlan',
  // The kernel refuses to change VNI and port in place; the underlay and endpoints we recreate too.
  immutable: ['vni', 'dstport', 'dev', 'local', 'group', 'remote'],
  attrs: (e, _name) => ({
    attrs: {
      vni: e.vni,
      group: ip(e.group) ?? null,
      remote: ip(e.remote) ?? null,
      local: ip(e.local) ?? null,
      dev: e.dev ?? null,
      dstport: e.dstport ?? 4789,
      ttl: e.ttl ?? 0,
      learning: e.learning ?? true,
    },
    deps: e.dev ? [{ id: linkId(e.dev), via: 'dev', mode: 'recreate' }] : [],
    diagnostics:
      e.group && e.remote
        ? [
            {
              severity: 'error',
              message: 'group and remote exclude each other',
              hint: 'keep group (multicast, with dev) or remote (unicast), not both',
              path: ['interfaces', _name, 'remote'],
            },
          ]
        : [],
  }),
  liveAttrs: (l) => {
    const d = l.linkinfo?.info_data ?? {};
    const ttl = d.ttl === undefined || d.ttl === 'auto' || d.ttl === 'inherit' ? 0 : Number(d.ttl);
    return {
      vni: d.id,
      // iproute2 names IPv6 endpoints group6 / remote6 / local6.
      group: ip(d.group ?? d.group6) ?? null,
      remote: ip(d.remote ?? d.remote6) ?? null,
      local: ip(d.local ?? d.local6) ?? null,
      dev: d.link ?? null,
      dstport: d.port,
      ttl,
      learning: d.learning ?? true,
    };
  },
  createArgs: (_n, a) => {
    const out = ['type', 'vxlan', 'id', String(a.vni)];
    if (a.group) out.push('group', String(a.group));
    if (a.remote) out.push('remote', String(a.remote));
    if (a.local) out.push('local', String(a.local));
    if (a.dev) out.push('dev', String(a.dev));
    out.push('dstport', String(a.dstport), 'ttl', String(a.ttl));
    if (!a.learning) out.push('nolearning');
    return out;
  },
  // VNI, port and endpoints are fixed (a change of one is a replace): the change is the TTL (default 0, inherit).
  sample: {
    file: 'version: 1\ninterfaces:\n  vx0: {kind: vxlan, vni: 100, remote: 198.51.100.2, ttl: 0}\n',
    change: 'version: 1\ninterfaces:\n  vx0: {kind: vxlan, vni: 100, remote: 198.51.100.2, ttl: 64}\n',
  },
  changeArgs: (c, a) => {
    // iproute2 wants the VNI on every vxlan change, even an unchanged one.
    const out = ['type', 'vxlan', 'id', String(a.vni)];
    if (c.ttl !== undefined) out.push('ttl', String(c.ttl));
    if (c.learning !== undefined) out.push(c.learning ? 'learning' : 'nolearning');
    return out;
  },
});
