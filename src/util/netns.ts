// Which names can be a network namespace: those `ip netns add` can have made (a file in /run/netns).
// An empty name is the usual slip (`--netns "$NS"` with NS unset); `ip -n ''` would fail, but
// nethost's own "no namespace" is the current one, so it must never be read as that. Pure.
import { NethostError } from '../model.js';
import { hasControl, quote } from './text.js';

/** NAME_MAX: a namespace is a file name under /run/netns. */
export const NETNS_NAME_MAX = 255;

const RULE = `a namespace name (as ip netns add makes them) is 1 to ${NETNS_NAME_MAX} bytes of printable text without '/', and not "." or ".."`;

/** Why `name` cannot name a namespace, in words, or undefined when it can. */
export function netnsProblem(name: string): string | undefined {
  if (name === '')
    return 'is empty (an unset shell variable?): name a namespace that ip netns list shows, or leave the option out to use the current namespace';
  if (hasControl(name)) return `holds a control character or NUL: ${RULE}`;
  if (name.includes('/')) return `contains '/': ${RULE}`;
  if (name === '.' || name === '..') return `is not a namespace name: ${RULE}`;
  if (Buffer.byteLength(name) > NETNS_NAME_MAX) return `is longer than ${NETNS_NAME_MAX} bytes: ${RULE}`;
  return undefined;
}

/** Throws, naming `what` (the option, or "network namespace"), unless `netns` is absent or a valid name. */
export function checkNetns(netns: string | undefined, what = 'network namespace'): void {
  if (netns === undefined) return;
  const problem = netnsProblem(netns);
  if (problem) throw new NethostError(`${what} ${quote(netns)} ${problem}`);
}
