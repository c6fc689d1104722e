// Addresses belong to their link. On a link whose file entry has `addresses:`, the file's list is the
// whole list (bar what the kernel or DHCP/SLAAC put there); a link entry without `addresses:` leaves
// them as they are; on links the file does not name, nethost deletes only the addresses it added.
// On a link nethost created, every address is its own; on an existing device it adopted (`nethost:existing`),
// the addresses the device had then are recorded in the mark (`;keep=…`) and are never nethost's.
import { linkId } from '../model.js';
import type { Resource } from '../model.js';
import type { ResourceKind } from './types.js';
import type { RawAddrInfo } from '../backends/ip/raw.js';
import { canonicalIp, formatCidr, parseCidr, type Cidr } from '../util/net.js';
import { NETHOST_ALIAS, NETHOST_ALIAS_EXISTING } from '../model.js';
import { parseLinkMark } from './links/mark.js';
import { RANK } from './ranks.js';

/** An address's key as the kernel knows it: the local address, and the peer with its prefix if it has one. */
export const addressKey = (address: string, peer?: string | null) =>
  peer ? `${address.slice(0, address.indexOf('/'))} peer ${peer}` : address;
export const addressId = (dev: string, address: string, peer?: string | null) =>
  `address:${dev}:${addressKey(address, peer)}`;

/** The prefix an address makes reachable: its own, or its peer's (`ip addr add A peer B/len`). */
export const coveredPrefix = (r: Resource): string => String(r.attrs.peer ?? r.attrs.address);

/** The local address of an address resource, without prefix. */
export const localIp = (r: Resource): string =>
  String(r.attrs.address).slice(0, String(r.attrs.address).lastIndexOf('/'));

/**
 * `address` is ADDRESS/LEN, or with a peer ADDRESS[/32|/128] and `peer` PEER[/LEN] (the prefix length is
 * the peer's, as the kernel keeps it). Returns undefined for a malformed pair.
 */
export function addressResource(dev: string, address: string, peer?: string): Resource | undefined {
  let local: Cidr | undefined;
  let remote: Cidr | undefined;
  if (peer === undefined) {
    local = parseCidr(address);
  } else {
    local = parseCidr(address, false);
    remote = parseCidr(peer, false);
    if (!local || !remote || remote.family !== local.family || local.prefix !== (local.family === 4 ? 32 : 128))
      return undefined;
  }
  if (!local) return undefined;
  const cidr = formatCidr(local);
  const peerCidr = remote ? formatCidr(remote) : null;
  return {
    id: addressId(dev, cidr, peerCidr),
    kind: 'address',
    attrs: { dev, address: cidr, peer: peerCidr },
    owned: true,
    deps: [{ id: linkId(dev), via: 'dev', mode: 'recreate' }],
  };
}

/** An `addresses:` entry of the file: "ADDRESS/LEN", "ADDRESS peer PEER[/LEN]", or {address, peer}. */
export type AddressEntry = string | { address: string; peer?: string };

/** The address and peer an entry names (not yet checked: addressResource says whether they make sense). */
export function splitAddressEntry(e: AddressEntry): { address: string; peer?: string } {
  if (typeof e !== 'string') return e;
  const m = /^\s*(\S+)\s+peer\s+(\S+)\s*$/.exec(e);
  return m ? { address: m[1], peer: m[2] } : { address: e.trim() };
}

/** Why an entry is not an address, in words with what to write instead; undefined when it is one. */
export function addressEntryProblem(e: AddressEntry): string | undefined {
  const { address, peer } = splitAddressEntry(e);
  if (peer === undefined)
    return parseCidr(address)
      ? undefined
      : 'not an address with prefix length; write e.g. 192.0.2.1/24 or 2001:db8::1/64, or with a peer 192.0.2.1 peer 192.0.2.2/32';
  const local = parseCidr(address, false);
  const remote = parseCidr(peer, false);
  if (!local) return `"${address}" is not an address; write e.g. 192.0.2.1 peer 192.0.2.2/32`;
  if (!remote) return `peer "${peer}" is not an address; write e.g. 192.0.2.1 peer 192.0.2.2/32`;
  if (local.family !== remote.family)
    return 'the address and its peer are of different families; give both as IPv4 or both as IPv6';
  if (local.prefix !== (local.family === 4 ? 32 : 128))
    return `with a peer, the prefix length is the peer's (the kernel keeps one); write the address without one, e.g. ${local.ip} peer ${remote.ip}/${remote.prefix}`;
  return undefined;
}

const FOREVER = 4294967295;

/** The kernel's own loopback addresses: never read, never touched. */
const isKernelLoopback = (dev: string, a: RawAddrInfo) =>
  dev === 'lo' && ((a.local === '127.0.0.1' && a.prefixlen === 8) || (a.local === '::1' && a.prefixlen === 128));

/** Static addresses of one raw link as resources (link-local, kernel loopback and DHCP/SLAAC left out).
 *  Asked for twice per read (addresses, and the routes the kernel derives from them): kept per dump. */
const liveAddressesMemo = new WeakMap<RawAddrInfo[], Resource[]>();
export function liveAddresses(ifname: string, info: RawAddrInfo[] | undefined): Resource[] {
  if (!info) return [];
  let out = liveAddressesMemo.get(info);
  if (!out) liveAddressesMemo.set(info, (out = readAddresses(ifname, info)));
  return out;
}

function readAddresses(ifname: string, info: RawAddrInfo[]): Resource[] {
  const out: Resource[] = [];
  for (const a of info) {
    if (a.family === 'inet6' && a.scope === 'link') continue; // kernel's link-local
    if (isKernelLoopback(ifname, a)) continue;
    if (a.dynamic || (a.valid_life_time !== undefined && a.valid_life_time !== FOREVER)) continue; // DHCP, SLAAC
    const ip = canonicalIp(a.local);
    if (!ip) continue;
    // A peer address shows its peer as `address` (and the prefix length is the peer's).
    const peer = typeof a.address === 'string' && a.address !== a.local ? canonicalIp(a.address)?.ip : undefined;
    const r = peer
      ? addressResource(ifname, `${ip.ip}/${ip.family === 4 ? 32 : 128}`, `${peer}/${a.prefixlen}`)
      : addressResource(ifname, `${ip.ip}/${a.prefixlen}`);
    if (r) out.push(r);
  }
  return out;
}

export const address: ResourceKind = {
  name: 'address',
  // An address is known by its whole value: nothing of it changes in place, so the change is another
  // address in its place (a delete and a create).
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\n',
    change: 'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.2/24]}\n',
  },
  describe: (r) =>
    `address ${r.attrs.peer ? `${String(r.attrs.address).split('/')[0]} peer ${r.attrs.peer}` : r.attrs.address} on ${r.attrs.dev}`,
  // Its references to links are written under that link, as `addresses:`.
  referenceField: 'addresses',
  titleAttrs: ['dev', 'address', 'peer'],
  rank: RANK.addresses,
  immutable: [],
  fromLive(raw) {
    const out: Resource[] = [];
    for (const l of raw.links) {
      const { mark, keep } = parseLinkMark(l.ifalias);
      for (const r of liveAddresses(l.ifname, l.addr_info)) {
        // What an adopted device had when nethost adopted it stays its own (`keep`); all else nethost added.
        const owned =
          mark === NETHOST_ALIAS ||
          (mark === NETHOST_ALIAS_EXISTING && keep !== 'all' && !(keep ?? []).includes(localIp(r)));
        out.push({ ...r, owned });
      }
    }
    return out;
  },
  // A link the file names decides by its `addresses:` key (absent: not managed); elsewhere, nethost's own go.
  manages: (live, desired) => {
    const link = desired.resources.get(linkId(String(live.attrs.dev)));
    return link ? link.attrs.addresses !== undefined : live.owned;
  },
  create: (r) => [{ backend: 'ip', args: addrArgs('add', r), disruptive: false }],
  update: () => [],
  delete: (r, ctx) =>
    ctx.deleting.has(linkId(String(r.attrs.dev)))
      ? []
      : [{ backend: 'ip', args: addrArgs('del', r), disruptive: false }],
};

function addrArgs(verb: 'add' | 'del', r: Resource): string[] {
  const cidr = String(r.attrs.address);
  const args = ['address', verb];
  if (r.attrs.peer) args.push(localIp(r), 'peer', String(r.attrs.peer));
  else {
    args.push(cidr);
    if (verb === 'add' && !cidr.includes(':')) args.push('broadcast', '+');
  }
  args.push('dev', String(r.attrs.dev));
  return args;
}
