// iproute2's JSON output, read whatever bytes a foreign object holds. `ip -j` escapes quotes,
// backslashes and \n \r \t \b \f inside strings but prints every other control character raw (an
// ifalias set to $'a\x01b', a link named with an ESC), which JSON.parse refuses; and `ip -j -batch`
// prints one result per command, each on its own line, unless a raw newline splits one. Pure.
import { NethostError } from '../../model.js';
import { printable } from '../../util/text.js';

/** A control character other than the newline that separates results. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f]/;

/** `ip -j -batch` output → one parsed result per command; `expected` is how many commands ran. */
export function splitIpBatch(stdout: string, expected: number): unknown[][] {
  // The usual output holds no control character: one native regex test, then one result per line.
  // A raw newline inside a string makes a line fail to parse, and the scanner reads it instead.
  const out = (!RAW_CONTROL.test(stdout) && byLine(stdout)) || scanJsonValues(stdout);
  if (out.length !== expected)
    throw new NethostError(`unexpected output from ip -batch: ${out.length} results for ${expected} commands`);
  return out as unknown[][];
}

function byLine(stdout: string): unknown[] | undefined {
  const out: unknown[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    try {
      out.push(JSON.parse(t));
    } catch {
      return undefined;
    }
  }
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
// Runs the scanner may skip whole: inside a string, up to a quote, backslash or control character;
// outside, up to a quote or bracket.
const STRING_RUN = /[^"\\\x00-\x1f]+/y;
const OUTSIDE_RUN = /[^"[\]{}]+/y;
const BLANK = /^\s*$/;

const bad = (why: string) => new NethostError(`unexpected output from ip -batch: ${why}`);

/**
 * Every top-level JSON array or object in `text`, in order, whatever separates them; a raw control
 * character inside a string is read as that character (escaped before JSON.parse sees it).
 */
export function scanJsonValues(text: string): unknown[] {
  const out: unknown[] = [];
  const n = text.length;
  let depth = 0;
  let value = ''; // the current value, up to `from`, with control characters escaped
  let from = 0;
  let i = 0;
  while (i < n) {
    OUTSIDE_RUN.lastIndex = i;
    if (OUTSIDE_RUN.test(text)) {
      if (depth === 0 && !BLANK.test(text.slice(i, OUTSIDE_RUN.lastIndex)))
        throw bad(`${printable(text.slice(i, i + 40))} outside any JSON value`);
      i = OUTSIDE_RUN.lastIndex;
      if (i >= n) break;
    }
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (depth === 0) throw bad('a string outside any JSON value');
      // Inside a string: copy it, escaping raw control characters, up to its closing quote.
      for (i++; ; ) {
        STRING_RUN.lastIndex = i;
        if (STRING_RUN.test(text)) i = STRING_RUN.lastIndex;
        if (i >= n) throw bad('a string that never ends');
        const d = text.charCodeAt(i);
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          // An escape: skip the character it escapes (iproute2 escapes its own backslashes).
          i += text.charCodeAt(i + 1) >= 0x20 ? 2 : 1;
          continue;
        }
        value += text.slice(from, i) + `\\u${d.toString(16).padStart(4, '0')}`;
        from = ++i;
      }
      i++;
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (depth++ === 0) {
        value = '';
        from = i;
      }
    } else if (depth === 0) throw bad(`"${String.fromCharCode(c)}" outside any JSON value`);
    // A closing bracket (a mismatched one is JSON.parse's to report).
    else if (--depth === 0) {
      value += text.slice(from, i + 1);
      try {
        out.push(JSON.parse(value));
      } catch (e) {
        throw bad(printable((e as Error).message));
      }
    }
    i++;
  }
  if (depth !== 0) throw bad('a JSON value that never ends');
  return out;
}
