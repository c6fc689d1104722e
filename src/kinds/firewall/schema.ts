// The `firewall:` section and the `guard:` field of an interface, as the file writes them.
// Values are checked for shape here; what depends on several fields (families, ranges, names in
// the file) is checked in index.ts with positions.
import { z } from 'zod';
import { ifname, macAddress } from '../fields.js';
import { canonicalIp, parseCidr } from '../../util/net.js';

export const PROTOS = ['tcp', 'udp', 'icmp', 'icmpv6', 'gre', 'esp', 'ah', 'sctp'] as const;

const portNumber = z.number().int().min(1, 'ports are 1 to 65535').max(65535, 'ports are 1 to 65535');
const portRange = z.string().regex(/^\d{1,5}-\d{1,5}$/, 'write a port range as N-M, e.g. 5000-5010');
export const portSpec = z.union([portNumber, portRange, z.array(z.union([portNumber, portRange])).min(1)]);

/** An address or a prefix (an address alone is one host). */
export const prefix = z.string().refine((s) => parseCidr(s, false) !== undefined, {
  message: 'not an address or prefix; write e.g. 192.0.2.0/24 or 2001:db8::/32',
});
const prefixes = z.union([prefix, z.array(prefix).min(1)]);

export const ruleSchema = z
  .object({
    proto: z
      .union([z.enum(PROTOS), z.number().int().min(0).max(255)])
      .optional()
      .describe('tcp, udp, icmp, icmpv6, gre, esp, ah, sctp, or a protocol number; absent: any'),
    port: portSpec.optional().describe('destination port: a number, N-M, or a list (tcp, udp, sctp)'),
    from: prefixes.optional().describe('source prefix or list of prefixes'),
    to: prefixes.optional().describe('destination prefix or list of prefixes'),
    in: ifname.optional().describe('incoming interface (by name)'),
    out: ifname.optional().describe('outgoing interface (by name)'),
    type: z
      .union([
        z.string().regex(/^[a-z-]+$/, 'an ICMP type name such as echo-request, or a number'),
        z.number().int().min(0).max(255),
      ])
      .optional()
      .describe('ICMP / ICMPv6 type (icmp, icmpv6 only)'),
  })
  .strict();

const policy = z.enum(['accept', 'drop']);

const masquerade = z
  .object({
    from: prefix.optional().describe('source prefix; absent: any source'),
    out: ifname.optional().describe('outgoing interface; absent: any'),
    exclude: z
      .array(prefix)
      .optional()
      .describe('destinations left alone (libvirt: its own network, multicast, broadcast)'),
    ports: portRange.optional().describe('tcp/udp source ports to map to, N-M'),
  })
  .strict();

const snat = z
  .object({
    from: prefix.optional().describe('source prefix; absent: any source'),
    out: ifname.optional().describe('outgoing interface; absent: any'),
    exclude: z.array(prefix).optional().describe('destinations left alone'),
    to: z
      .string()
      .refine((s) => canonicalIp(s) !== undefined, { message: 'not an address; write e.g. 198.51.100.10' })
      .describe('the source address to write'),
  })
  .strict();

const portForward = z
  .object({
    in: ifname.optional().describe('interface the connections arrive on; absent: any'),
    proto: z.enum(['tcp', 'udp', 'sctp']).describe('tcp, udp or sctp'),
    port: z.union([portNumber, portRange]).describe('the port (or N-M range) on this host'),
    to: z.string().describe('ADDRESS, ADDRESS:PORT or [IPv6]:PORT to forward to'),
    hairpin: z.boolean().optional().describe('also serve clients on the inside (DNAT plus SNAT back); default false'),
  })
  .strict();

const mssClamp = z
  .object({
    from: prefix.optional().describe('source prefix of the connections (either direction of them)'),
    in: ifname.optional().describe('incoming interface'),
    out: ifname.optional().describe('outgoing interface'),
    mss: z
      .union([z.number().int().min(536).max(65495), z.literal('pmtu')])
      .describe('the largest MSS to let through, or pmtu (the route MTU)'),
  })
  .strict();

const filterChain = z
  .object({
    policy: policy.optional().describe('accept (default) or drop'),
    allow: z.array(ruleSchema).optional().describe('rules accepted in spite of a drop policy'),
  })
  .strict();

export const firewallSchema = z
  .object({
    masquerade: z.array(masquerade).optional().describe("source NAT to the outgoing interface's address"),
    snat: z.array(snat).optional().describe('source NAT to a given address'),
    port_forwards: z.array(portForward).optional().describe('destination NAT'),
    mss_clamp: z.array(mssClamp).optional().describe('forwarded TCP SYN and SYN-ACK lowered to at most mss'),
    input: filterChain.optional().describe('traffic to the host itself; policy default accept'),
    forward: filterChain.optional().describe('routed traffic; policy default accept'),
  })
  .strict()
  .describe('nftables table inet nethost (nethost owns it and bridge nethost; other tables are never changed)');

export const guardSchema = z
  .object({
    mac: macAddress.optional().describe('the only source MAC (and ARP sender MAC) the port may use'),
    ips: z
      .array(
        z.string().refine((s) => canonicalIp(s) !== undefined, { message: 'not an address; write e.g. 192.0.2.50' }),
      )
      .optional()
      .describe('the only source IPs (and ARP sender IPs)'),
    allow_in: z.array(ruleSchema).optional().describe('what may reach the port; absent: everything'),
    allow_out: z.array(ruleSchema).optional().describe('what the port may send; absent: everything'),
  })
  .strict()
  .describe('anti-spoofing and allow-lists on a port of a Linux bridge (nft bridge nethost)');

export type Rule = z.infer<typeof ruleSchema>;
export type Firewall = z.infer<typeof firewallSchema>;
export type Guard = z.infer<typeof guardSchema>;
