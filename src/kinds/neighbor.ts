// Static neighbour entries (ARP / NDP), e.g. a fixed MAC for a gateway, or NBMA peers of a multicast GRE
// tunnel whose link-layer address is an IP. Dynamic entries the kernel learns are never read.
import { z } from 'zod';
import type { Diagnostic, Resource } from '../model.js';
import { NETHOST_PROTO } from '../model.js';
import type { SectionKind } from './types.js';
import { canonicalIp, canonicalMac, isMulticast } from '../util/net.js';
import { ifname, ipAddress, text } from './fields.js';
import { linkId } from '../model.js';
import { quote } from '../util/text.js';
import { RANK } from './ranks.js';

const STATES = ['permanent', 'noarp', 'reachable', 'stale'] as const;

const neighborEntry = z
  .object({
    dev: ifname,
    to: ipAddress.describe("the neighbour's IP address"),
    lladdr: text.describe('link-layer address: a MAC, or an IP for tunnels'),
    state: z.enum(STATES).optional().describe('permanent (default) | noarp | reachable | stale'),
  })
  .strict();

const canonicalLladdr = (s: string) => canonicalMac(s) ?? canonicalIp(s)?.ip;
export const neighborId = (dev: string, ip: string) => `neighbor:${dev}:${ip}`;

function neighArgs(r: Resource, verb: 'replace' | 'del'): string[] {
  const a = r.attrs;
  const args = ['neigh', verb, String(a.to)];
  if (verb === 'replace') args.push('lladdr', String(a.lladdr));
  args.push('dev', String(a.dev));
  if (verb === 'replace') {
    args.push('nud', String(a.state));
    if (a.mark !== null) args.push('protocol', String(a.mark));
  }
  return args;
}

export const neighbor: SectionKind = {
  name: 'neighbor',
  // The change is the link-layer address (ip neigh replace, in place).
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\nneighbors:\n  - {dev: br0, to: 192.0.2.9, lladdr: "02:00:00:00:00:09"}\n',
    change:
      'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\nneighbors:\n  - {dev: br0, to: 192.0.2.9, lladdr: "02:00:00:00:00:0a"}\n',
  },
  describe: (r) => `neighbour ${r.attrs.to} on ${r.attrs.dev}`,
  markWords: { field: 'protocol', none: '(none)' },
  section: 'neighbors',
  rank: RANK.neighbours,
  schema: z.array(neighborEntry),
  immutable: [],
  fromLive(raw) {
    const out: Resource[] = [];
    for (const n of raw.neighbors) {
      const state = (n.state ?? []).map((s) => s.toLowerCase());
      const owned = n.protocol === String(NETHOST_PROTO);
      // Learnt entries come and go; only static ones (or ours) are state.
      if (!owned && !state.includes('permanent') && !state.includes('noarp')) continue;
      const ip = canonicalIp(n.dst)?.ip;
      if (!ip || !n.lladdr) continue;
      // The kernel keeps a NOARP entry for each multicast group a link joins (33:33:…, 01:00:5e:…).
      if (!owned && !state.includes('permanent') && isMulticast(ip)) continue;
      out.push({
        id: neighborId(n.dev, ip),
        kind: 'neighbor',
        attrs: {
          dev: n.dev,
          to: ip,
          lladdr: canonicalLladdr(n.lladdr) ?? n.lladdr,
          state: STATES.find((s) => state.includes(s)) ?? state[0] ?? null,
          mark: n.protocol ?? null,
        },
        owned,
        deps: [{ id: linkId(n.dev), via: 'dev', mode: 'recreate' }],
      });
    }
    return out;
  },
  fromConfig(entries: z.infer<typeof neighborEntry>[], at, desired) {
    const resources: Resource[] = [];
    const diagnostics: Diagnostic[] = [];
    const seen = new Set<string>(); // ids listed so far: a Set, as files list thousands
    entries.forEach((e, i) => {
      const lladdr = canonicalLladdr(e.lladdr);
      if (!lladdr) {
        diagnostics.push({
          severity: 'error',
          message: `${quote(e.lladdr)} is neither a MAC nor an IP address`,
          hint: 'write e.g. 02:00:00:00:00:09 (or 198.51.100.2 for a GRE peer)',
          path: ['neighbors', i, 'lladdr'],
          source: at(['neighbors', i, 'lladdr']),
        });
        return;
      }
      const ip = canonicalIp(e.to)!.ip;
      const link = desired.get(linkId(e.dev));
      if (link?.kind === 'gre' && link.attrs.remote && !ip.includes(':')) {
        // A remote makes a GRE point-to-point; there the kernel keys every IPv4 neighbour 0.0.0.0 (one
        // entry for all destinations, the last written wins), and a tunnel whose remote is a multicast
        // group takes no unicast from its peers. Checked on Debian's 6.1 (test/lab/documents.lab.test.ts).
        diagnostics.push({
          severity: 'error',
          message: `${e.dev} has a remote (${link.attrs.remote}), which makes it point-to-point: the kernel keeps one IPv4 neighbour there, as 0.0.0.0 for every destination, so ${ip} cannot have its own`,
          hint: `for NBMA peers leave remote out of ${e.dev} (an unbound tunnel, as in examples/gre-mesh.yaml); a multicast remote reaches every peer through its group without neighbours`,
          path: ['neighbors', i, 'dev'],
          source: at(['neighbors', i, 'dev']),
        });
        return;
      }
      const id = neighborId(e.dev, ip);
      if (seen.has(id)) {
        diagnostics.push({
          severity: 'error',
          message: `${ip} on ${e.dev} is already listed`,
          hint: 'keep one entry per address and link',
          path: ['neighbors', i, 'to'],
          source: at(['neighbors', i, 'to']),
        });
        return;
      }
      seen.add(id);
      resources.push({
        id,
        kind: 'neighbor',
        attrs: { dev: e.dev, to: ip, lladdr, state: e.state ?? 'permanent', mark: String(NETHOST_PROTO) },
        owned: true,
        deps: [{ id: linkId(e.dev), via: 'dev', mode: 'recreate' }],
        source: at(['neighbors', i]),
      });
    });
    return { resources, diagnostics };
  },
  create: (r) => [{ backend: 'ip', args: neighArgs(r, 'replace'), disruptive: false }],
  // `neigh replace` without a protocol keeps the one the entry has (and protocol 0 is ignored): taking
  // nethost's mark off again (a rollback of an adoption) needs the entry written anew. A flush, not a
  // del: it succeeds also when the entry is already gone (a link taken down earlier in the plan flushes
  // its neighbours, permanent ones included).
  update: (r, live, changes) =>
    changes.some((c) => c.name === 'mark' && c.after === null) && live.attrs.mark !== null
      ? [
          {
            backend: 'ip',
            args: ['neigh', 'flush', 'to', String(r.attrs.to), 'dev', String(r.attrs.dev), 'nud', 'all'],
            disruptive: false,
          },
          { backend: 'ip', args: neighArgs(r, 'replace'), disruptive: false },
        ]
      : [{ backend: 'ip', args: neighArgs(r, 'replace'), disruptive: false }],
  delete: (r, ctx) =>
    ctx.deleting.has(linkId(String(r.attrs.dev)))
      ? []
      : [{ backend: 'ip', args: neighArgs(r, 'del'), disruptive: false }],
};
