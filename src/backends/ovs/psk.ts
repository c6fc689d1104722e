// IPsec pre-shared keys: named in the file by where they are (`psk_file`, `psk_env`), carried in
// plans and journals only as that reference, read when the transaction runs, never printed.
import { readFileSync } from 'node:fs';
import { NethostError } from '../../model.js';

/** Marks, inside an operation's argument, where the key goes: `options:psk=` + PSK_REF + `file:PATH` | `env:NAME`. */
export const PSK_REF = '\u0000psk:';

/** The key a reference names. Errors say where it was looked for, never what it holds. */
export function resolvePsk(ref: string, tunnel?: string): string {
  const who = tunnel ? `IPsec key of ${tunnel}` : 'IPsec key';
  let value: string | undefined;
  if (ref.startsWith('file:')) {
    const path = ref.slice(5);
    try {
      value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (e: any) {
      throw new NethostError(`${who}: cannot read ${path} (${e.code === 'ENOENT' ? 'no such file' : e.code ?? e.message}); nothing was changed`);
    }
  } else if (ref.startsWith('env:')) {
    value = process.env[ref.slice(4)];
    if (value === undefined) throw new NethostError(`${who}: the environment variable ${ref.slice(4)} is not set; nothing was changed`);
  } else throw new NethostError(`internal: bad key reference`);
  if (value.length < 8 || !/^[\x21-\x7e]+$/.test(value) || /["\\]/.test(value))
    throw new NethostError(`${who} (${ref.replace(/^(file|env):/, '')}) must be at least 8 printable characters without blanks, quotes or backslashes; nothing was changed`);
  return value;
}
