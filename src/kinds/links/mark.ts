// Ownership of a link, kept in its ifalias: `nethost`, or `nethost:existing…` on a device nethost
// adopted, with the addresses and the alias that device had (given back on release).
import { NETHOST_ALIAS_EXISTING } from '../../model.js';
import { canonicalIp } from '../../util/net.js';

/** The kernel's IFALIASZ is 256 bytes with the terminating NUL. */
const IFALIAS_MAX = 255;
const KEEP = ';keep=';
/** Last in the alias, so that the device's own alias needs no escaping: everything after it is that alias. */
const WAS = ';alias=';

/**
 * The ifalias of a link as ownership: `nethost` (created by nethost), `nethost:existing` (an existing
 * device it adopted), or someone else's text. An adopted device's alias also records the addresses it
 * had when nethost adopted it, which are never nethost's: `nethost:existing;keep=198.51.100.1,2001:db8::1`,
 * or `nethost:existing;keep=all` when the list does not fit in an alias (then every address stays).
 * It ends with the alias the device had before, which its release puts back: `…;alias=rack 3 uplink`.
 * Any other text after `nethost:existing` is read as `keep=all`: an alias nethost cannot read keeps everything.
 */
export function parseLinkMark(ifalias: string | undefined): {
  mark: string | null;
  keep: string[] | 'all' | null;
  was?: string;
} {
  if (ifalias === undefined || ifalias === '') return { mark: null, keep: null };
  if (!ifalias.startsWith(NETHOST_ALIAS_EXISTING)) return { mark: ifalias, keep: null };
  let rest = ifalias.slice(NETHOST_ALIAS_EXISTING.length);
  const at = rest.indexOf(WAS);
  const was = at >= 0 ? rest.slice(at + WAS.length) : undefined;
  if (at >= 0) rest = rest.slice(0, at);
  const withWas = <T extends object>(o: T) => (was === undefined ? o : { ...o, was });
  if (rest === '') return withWas({ mark: NETHOST_ALIAS_EXISTING, keep: [] });
  if (!rest.startsWith(KEEP) || rest === `${KEEP}all`)
    return withWas({ mark: NETHOST_ALIAS_EXISTING, keep: 'all' as const });
  const ips = rest
    .slice(KEEP.length)
    .split(',')
    .map((s) => canonicalIp(s)?.ip);
  if (ips.some((ip) => ip === undefined)) return withWas({ mark: NETHOST_ALIAS_EXISTING, keep: 'all' as const });
  return withWas({ mark: NETHOST_ALIAS_EXISTING, keep: ips as string[] });
}

/** The alias that records an adopted device's own addresses and its own alias (the inverse of
 *  parseLinkMark). What does not fit in IFALIASZ goes in this order: the address list (then every
 *  address stays), then the old alias (then its release clears the alias). */
export function existingMark(keep: readonly string[] | 'all', was?: string | null): string {
  const tail = was ? `${WAS}${was}` : '';
  const list = keep === 'all' ? `${KEEP}all` : keep.length ? `${KEEP}${keep.join(',')}` : '';
  for (const text of [
    `${NETHOST_ALIAS_EXISTING}${list}${tail}`,
    `${NETHOST_ALIAS_EXISTING}${KEEP}all${tail}`,
    `${NETHOST_ALIAS_EXISTING}${list}`,
  ])
    if (Buffer.byteLength(text) <= IFALIAS_MAX) return text;
  return `${NETHOST_ALIAS_EXISTING}${KEEP}all`;
}
