// Addresses belong to their link: on a link the file names, the file's list is the whole list
// (bar what the kernel or DHCP/SLAAC put there); on other links nethost never touches them.
import type { Resource } from '../model.js';
import { isNethostAlias } from '../model.js';
import type { ResourceKind } from './types.js';
import { canonicalIp, formatCidr, parseCidr } from '../util/net.js';
import { linkId } from './links/common.js';

export const addressId = (dev: string, cidr: string) => `address:${dev}:${cidr}`;

export function addressResource(dev: string, text: string): Resource | undefined {
  const c = parseCidr(text);
  if (!c) return undefined;
  const cidr = formatCidr(c);
  return {
    id: addressId(dev, cidr),
    kind: 'address',
    attrs: { dev, address: cidr },
    owned: true,
    deps: [{ id: linkId(dev), via: 'dev', mode: 'recreate' }],
  };
}

const FOREVER = 4294967295;

export const address: ResourceKind = {
  name: 'address',
  rank: 20,
  immutable: [],
  fromLive(raw) {
    const out: Resource[] = [];
    for (const l of raw.links) {
      for (const a of l.addr_info ?? []) {
        if (a.family === 'inet6' && a.scope === 'link') continue; // kernel's link-local
        if (a.scope === 'host') continue; // loopback's 127.0.0.1/8 and ::1
        if (a.dynamic || (a.valid_life_time !== undefined && a.valid_life_time !== FOREVER)) continue; // DHCP, SLAAC
        const ip = canonicalIp(a.local);
        if (!ip) continue;
        const r = addressResource(l.ifname, `${ip.ip}/${a.prefixlen}`);
        if (r) out.push({ ...r, owned: isNethostAlias(l.ifalias) });
      }
    }
    return out;
  },
  manages: (live, desired) => desired.resources.has(linkId(String(live.attrs.dev))) || live.owned,
  create: (r) => [{ backend: 'ip', args: addrArgs('add', r), disruptive: false }],
  update: () => [],
  delete: (r, ctx) =>
    ctx.deleting.has(linkId(String(r.attrs.dev))) ? [] : [{ backend: 'ip', args: addrArgs('del', r), disruptive: false }],
};

function addrArgs(verb: 'add' | 'del', r: Resource): string[] {
  const cidr = String(r.attrs.address);
  const args = ['address', verb, cidr];
  if (verb === 'add' && !cidr.includes(':')) args.push('broadcast', '+');
  args.push('dev', String(r.attrs.dev));
  return args;
}
