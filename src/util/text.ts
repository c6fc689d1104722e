// Text that came from the file or the kernel, made safe to print: a terminal acts on control
// characters (ESC starts a sequence that can recolour, retitle or rewrite the screen), so every such
// character is shown as an escape instead. Pure.

/** C0 controls (NUL…US), DEL and the C1 controls (U+0080–U+009F: CSI is U+009B). */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const CONTROL_ALL = /[\x00-\x1f\x7f-\x9f]/g;
const CONTROL_NOT_NL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g;

export const hasControl = (s: string): boolean => CONTROL.test(s);

const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\0': '\\0' };
export const escapeChar = (c: string): string => named[c] ?? hex(c);

/** `s` with each control character written as an escape (`\x1b`, `\n` …); newlines kept if asked. */
export function printable(s: string, keepNewlines = false): string {
  if (!CONTROL.test(s)) return s;
  return s.replace(keepNewlines ? CONTROL_NOT_NL : CONTROL_ALL, escapeChar);
}

/** Longest value a message quotes in full (a value is shown to say which one, not to dump it). */
const QUOTE_MAX = 64;

/** A value inside a message: a string quoted (backslash, quote and control characters escaped, cut
 *  after 64 characters), any other scalar as written, a list or mapping by what it is. */
export function quote(v: unknown): string {
  if (typeof v === 'string') {
    const cut = v.length > QUOTE_MAX ? v.slice(0, QUOTE_MAX) : v;
    const body = cut.replace(/[\\"]/g, (c) => `\\${c}`).replace(CONTROL_ALL, escapeChar);
    return `"${body}${cut === v ? '' : '…'}"`;
  }
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** What a value is, for "must be a number, not …": `a string "1500"`, `the number 5`, `a list`. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `a string ${quote(v)}`;
  if (typeof v === 'number')
    return Number.isFinite(v) ? `the number ${v}` : Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (v === null || v === undefined) return 'an empty value (null)';
  return quote(v);
}

/** A command line for a message: plain words as they are, anything else quoted with escapes. */
export const showArgv = (argv: readonly string[]) => argv.map((a) => (isShellWord(a) ? a : quote(a))).join(' ');

/** An attribute value in a plan or report: lists bracketed, null and undefined in words, strings
 *  as they are or quoted with escapes, never a raw control character. */
export function showValue(v: unknown, quoteStrings = false): string {
  if (v === undefined) return '(unknown)';
  if (v === null) return '(none)';
  if (Array.isArray(v)) return printable(`[${v.join(', ')}]`);
  return typeof v === 'string' && quoteStrings ? quote(v) : printable(String(v));
}

/** A word sh reads as itself: printed without quotes (in --script and in messages). */
export const isShellWord = (a: string) => /^[A-Za-z0-9_@%+=:,./-]+$/.test(a);

/** One argument for sh: as it is when it is a plain word, else single-quoted. */
export function shellQuote(a: string): string {
  if (isShellWord(a)) return a;
  // A control character (a foreign link named with an ESC) is not printed raw: sh has no $'…', so
  // printf writes it, from an octal escape. (No name ends in a newline, which $(…) would drop:
  // the kernel refuses whitespace in names.)
  if (hasControl(a))
    return `"$(printf '${a.replace(/[\\%']/g, (c) => (c === "'" ? `'"'"'` : c + c)).replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => [...Buffer.from(c)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join(''))}')"`;
  return `'${a.replace(/'/g, `'\\''`)}'`;
}
