// IPsec pre-shared keys: named in the file by where they are (`psk_file`, `psk_env`), carried in
// plans and journals only as that reference, read when the transaction runs, never printed.
import { readFileSync } from 'node:fs';
import { NethostError } from '../../model.js';

/** Marks, inside an operation's argument, where the key goes: `options:psk=` + PSK_REF + `file:PATH` | `env:NAME`. */
export const PSK_REF = '\u0000psk:';

/**
 * Marks a live tunnel's reference whose key in OVSDB is not the one the reference names now (the
 * file was rotated, or options:psk set by hand): `file:PATH (another key)`, a change to plan and
 * drift to report. As a rollback's target it means the key the tunnel had, which only the process
 * that read it holds (`held:NAME`): nethost never writes a key anywhere.
 */
export const OTHER_KEY = ' (another key)';
/** A live tunnel's key that has no reference (options:psk set by hand). */
export const SET_BY_HAND = '(set by hand)';
export const HELD = 'held:';

/** Whether a tunnel's `ipsec` value names the key it had (set by hand, or another than its
 *  reference names): only ever a rollback's target, put back from the key this process holds. */
export const namesHeldKey = (ipsec: unknown): boolean => ipsec === SET_BY_HAND || String(ipsec).endsWith(OTHER_KEY);

const held = new Map<string, string>();

/** Keeps, in this process only, the key a tunnel had when first read with another key than its
 *  reference names: what a rollback of this apply puts back. */
export function holdKey(tunnel: string, key: string): void {
  if (!held.has(tunnel)) held.set(tunnel, key);
}
export const heldKey = (tunnel: string): string | undefined => held.get(tunnel);

/** Whether `key` is the key `ref` names now; undefined when that cannot be read (no claim). */
export function namesKey(ref: string, key: string): boolean | undefined {
  if (!/^(file|env):/.test(ref)) return undefined;
  try {
    return resolvePsk(ref) === key;
  } catch {
    return undefined;
  }
}

/** The key a reference names. Errors say where it was looked for, never what it holds. */
export function resolvePsk(ref: string, tunnel?: string): string {
  const who = tunnel ? `IPsec key of ${tunnel}` : 'IPsec key';
  let value: string | undefined;
  if (ref.startsWith(HELD)) {
    const name = ref.slice(HELD.length);
    const key = held.get(name);
    if (key === undefined)
      throw new NethostError(
        `IPsec key of ${name}: the key it had before this apply is not known to this process (nethost never stores keys)`,
      );
    return key; // OVSDB's own value, put back as it was
  }
  if (ref.startsWith('file:')) {
    const path = ref.slice(5);
    try {
      value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (e: any) {
      throw new NethostError(
        `${who}: cannot read ${path} (${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)})`,
      );
    }
  } else if (ref.startsWith('env:')) {
    value = process.env[ref.slice(4)];
    if (value === undefined) throw new NethostError(`${who}: the environment variable ${ref.slice(4)} is not set`);
  } else throw new NethostError(`internal: bad key reference`);
  if (!validPsk(value))
    throw new NethostError(
      `${who} (${ref.replace(/^(file|env):/, '')}) must be at least 8 printable characters without blanks, quotes or backslashes`,
    );
  return value;
}

/** What ovs-monitor-ipsec can write into ipsec.secrets as `PSK "…"` unquoted and unescaped. */
export const validPsk = (v: string) => v.length >= 8 && /^[\x21-\x7e]+$/.test(v) && !/["\\]/.test(v);

export { redactKeys } from '../../util/redact.js';
