// Field types shared by several kinds. Each refinement's message says what to write instead.
import { z } from 'zod';
import { canonicalIp, canonicalMac, canonicalMark, parseCidr } from '../util/net.js';
import { NETNS_NAME_MAX, netnsProblem } from '../util/netns.js';

/** What refusing a control character tells the author (YAML's escapes are how one gets in). */
export const CONTROL_HINT =
  'write printable characters only (a quoted YAML string turns escapes such as \\e, \\x01 or \\0 into control characters)';

/**
 * Free text from the file. Control characters (C0, DEL, C1) and NUL are refused everywhere: the
 * kernel would take most of them (an interface named with an ESC), a terminal showing them later
 * acts on them, and a NUL cuts a C string short. Checked first, and alone: the other checks then
 * speak of printable text. A regex, so that the published JSON Schema says it too (as a pattern).
 */
export const text = z
  .string()
  .regex(/^[^\x00-\x1f\x7f-\x9f]*$/, { message: `holds a control character or NUL; ${CONTROL_HINT}`, abort: true });

/** Names the kernel creates by itself when a tunnel module loads; a file must not claim them. */
export const RESERVED_NAMES = new Set([
  'gre0',
  'gretap0',
  'erspan0',
  'ip6gre0',
  'ip6tnl0',
  'ip6_vti0',
  'ip_vti0',
  'sit0',
  'tunl0',
  'bonding_masters',
]);

export const ifname = text
  .refine((s) => Buffer.byteLength(s) >= 1 && Buffer.byteLength(s) <= 15, {
    message: 'interface names are 1 to 15 bytes long (the kernel IFNAMSIZ limit); choose a shorter name',
  })
  .refine((s) => !/[\s/:'"#\\]/.test(s) && s !== '.' && s !== '..', {
    message:
      "interface names cannot contain whitespace, '/', ':', quotes, '#' or be '.' or '..'; use letters, digits, '-', '_' or '.', e.g. br-lan",
  })
  .refine((s) => !RESERVED_NAMES.has(s), {
    message: 'this name is reserved: the kernel creates it as a tunnel fallback device; choose another name, e.g. gre1',
  });

export const ipAddress = text.refine((s) => canonicalIp(s) !== undefined, {
  message: 'not an IP address; write e.g. 192.0.2.1 or 2001:db8::1',
});

export const cidr = text.refine((s) => parseCidr(s) !== undefined, {
  message: 'not an address with prefix length; write e.g. 192.0.2.1/24 or 2001:db8::1/64',
});

export const macAddress = text.refine((s) => canonicalMac(s) !== undefined, {
  message: 'not a MAC address; write six hex pairs, e.g. 02:00:00:00:00:01',
});

export const fwmark = z
  .union([z.number().int().min(0).max(0xffffffff), text])
  .refine((s) => canonicalMark(s) !== undefined, {
    message: 'not a firewall mark; write VALUE or VALUE/MASK, e.g. 0x1/0xff',
  });

/** Routing table: a number 1..2^32-1 or one of the names iproute2 knows. */
export const table = z.union([z.number().int().min(1).max(0xffffffff), z.enum(['main', 'default', 'local'])]);

/** A table as a route or rule names it: also a name from /etc/iproute2/rt_tables. */
export const tableRef = z.union([table, text]);

/** A token safe on an `ip -batch` line: iproute2 splits batch lines on blanks and quotes. */
export const token = text.regex(
  /^[A-Za-z0-9_.@+-]+$/,
  'only letters, digits and _ . @ + - are allowed here; write e.g. lab-2',
);

/** A named network namespace (veth peer_netns): a token that `ip netns add` could have made. */
export const netnsName = token.refine((s) => netnsProblem(s) === undefined, {
  message: `not a namespace name (not "." or "..", at most ${NETNS_NAME_MAX} bytes); write a name that ip netns list shows`,
});

/** A user or group of a tap/tun: a name (resolved against the host's) or a numeric id. */
export const account = (what: 'user' | 'group') =>
  z.union([
    text.regex(
      /^[A-Za-z0-9_.-]+$/,
      `not a ${what} name (letters, digits, '_', '.' and '-'); write an existing ${what} name or a numeric ${what === 'user' ? 'uid' : 'gid'}`,
    ),
    z.number().int().min(0).max(0xfffffffe),
  ]);

/** The longest sysctl value nethost writes: the kernel reads at most a page from a write to /proc/sys. */
export const SYSCTL_VALUE_MAX = 4096;

/** A sysctl value written as text. Blanks (space, tab, newline) separate fields, as in the kernel's
 *  own output, and are written as one space; any other control character is refused. */
export const sysctlText = z
  .string()
  .regex(/^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$/, {
    message: `holds a control character or NUL; ${CONTROL_HINT}`,
    abort: true,
  })
  .refine((s) => Buffer.byteLength(s) <= SYSCTL_VALUE_MAX, {
    message: `is longer than ${SYSCTL_VALUE_MAX} bytes, the most the kernel reads from one sysctl write; write the value the kernel expects (a number or a few words)`,
  });
