// Field types shared by several kinds. Each refinement's message says what to write instead.
import { z } from 'zod';
import { canonicalIp, canonicalMac, canonicalMark, parseCidr } from '../util/net.js';

/** Names the kernel creates by itself when a tunnel module loads; a file must not claim them. */
export const RESERVED_NAMES = new Set([
  'gre0', 'gretap0', 'erspan0', 'ip6gre0', 'ip6tnl0', 'ip6_vti0', 'ip_vti0', 'sit0', 'tunl0', 'bonding_masters',
]);

export const ifname = z
  .string()
  .refine((s) => Buffer.byteLength(s) >= 1 && Buffer.byteLength(s) <= 15, {
    message: 'interface names are 1 to 15 bytes long (the kernel IFNAMSIZ limit); choose a shorter name',
  })
  .refine((s) => !/[\s/:'"#\\]/.test(s) && s !== '.' && s !== '..', {
    message: "interface names cannot contain whitespace, '/', ':', quotes, '#' or be '.' or '..'; use letters, digits, '-', '_' or '.', e.g. br-lan",
  })
  .refine((s) => !RESERVED_NAMES.has(s), {
    message: 'this name is reserved: the kernel creates it as a tunnel fallback device; choose another name, e.g. gre1',
  });

export const ipAddress = z.string().refine((s) => canonicalIp(s) !== undefined, {
  message: 'not an IP address; write e.g. 192.0.2.1 or 2001:db8::1',
});

export const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: 'not an address with prefix length; write e.g. 192.0.2.1/24 or 2001:db8::1/64',
});

export const cidrList = z.array(cidr);

export const macAddress = z.string().refine((s) => canonicalMac(s) !== undefined, {
  message: 'not a MAC address; write six hex pairs, e.g. 02:00:00:00:00:01',
});

export const fwmark = z.union([z.number().int().min(0).max(0xffffffff), z.string()]).refine((s) => canonicalMark(s) !== undefined, {
  message: 'not a firewall mark; write VALUE or VALUE/MASK, e.g. 0x1/0xff',
});

/** Routing table: a number 1..2^32-1 or one of the names iproute2 knows. */
export const table = z.union([z.number().int().min(1).max(0xffffffff), z.enum(['main', 'default', 'local'])]);

/** A token safe on an `ip -batch` line: iproute2 splits batch lines on blanks and quotes. */
export const token = z.string().regex(/^[A-Za-z0-9_.@+-]+$/, 'only letters, digits and _ . @ + - are allowed here');
