// A fast path for the YAML that nethost files are made of: block mappings and sequences, one-line
// flow collections, one-line plain and simple quoted scalars, comments. It gives exactly what
// js-yaml gives (data through js-yaml's own core-schema resolver, node starts as its events place
// them) and is several times quicker on a cold start, where js-yaml's general machinery runs as
// bytecode. Anything else (anchors, tags, block scalars, multi-line scalars, escapes, several
// documents, duplicate keys, any error) makes it give up, and the caller parses with js-yaml, which
// also words the error. test/unit/yaml-subset.test.ts holds the two to agreeing.
import { CORE_SCHEMA } from 'js-yaml';

/** Where a node starts: a scalar as its offset alone (most nodes are scalars); a collection with
 *  its children, mapping values by key text, sequence items by index. */
export type PosNode = number | PosCollection;
export interface PosCollection {
  start: number;
  keys?: Map<string, { keyStart: number; value: PosNode }>;
  items?: PosNode[];
}
export const nodeStart = (node: PosNode): number => (typeof node === 'number' ? node : node.start);

/** Thrown to leave the fast path; never escapes parseSubset. */
class OutsideSubset {}
const OUTSIDE = new OutsideSubset();

// Printable text and newlines only: a tab, CR, BOM or control character sends the file to js-yaml.
const UNUSUAL = /[^\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;
// Characters a plain scalar may not start with here (indicators; quotes and flow starts are handled).
const NOT_PLAIN_START = new Set([...'?:,]}#&*!|>%@`']);
const MAX_KEY = 1024;
/** Deeper nesting goes to js-yaml, which refuses it past its own limit (maxDepth, 100) with a
 *  position; here it would be recursion until the stack overflows. Below js-yaml's limit, so that
 *  what the fast path takes js-yaml takes too. */
const MAX_DEPTH = 64;

const SP = 0x20;
const NL = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const COMMA = 0x2c;
const SQ = 0x27;
const DQ = 0x22;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const BACKSLASH = 0x5c;

// Runs of characters that cannot end a plain scalar or key: one regex step instead of a loop per
// character (regexes run as native code from their first use; a cold JS loop is interpreted).
const ORDINARY_BLOCK = /[^\n:#]+/y;
const ORDINARY_FLOW = /[^\n:#,[\]{}]+/y;

const isFlowIndicator = (c: number) => c === COMMA || c === LBRACK || c === RBRACK || c === LBRACE || c === RBRACE;

/** The data and node positions of `text`, or undefined when it is not in the subset. */
export function parseSubset(text: string): { data: unknown; root: PosNode } | undefined {
  if (UNUSUAL.test(text)) return undefined;
  try {
    return new SubsetParser(text).document();
  } catch (e) {
    if (e === OUTSIDE) return undefined;
    throw e;
  }
}

class SubsetParser {
  private i = 0;
  private readonly n: number;
  constructor(private readonly s: string) {
    this.n = s.length;
  }

  private out(): never {
    throw OUTSIDE;
  }

  /** The position node of what the last node method returned (saves a wrapper object per node). */
  private pos: PosNode = 0;
  /** The column of the content line `i` is at, as nextContentLine found it (-1 at the end). */
  private col = -1;
  /** Collections open around `i`: each collection method enters, and leaves through done(). */
  private depth = 0;

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.out();
  }

  document(): { data: unknown; root: PosNode } {
    if (this.nextContentLine() !== 0) this.out(); // empty, or an indented root
    const c = this.s.charCodeAt(this.i);
    // Directives, document markers and a root that is not a block mapping: js-yaml.
    if (c === 0x25 || this.s.startsWith('---', this.i) || this.s.startsWith('...', this.i) || c === DASH) this.out();
    const data = this.blockMapping(0);
    if (this.i < this.n) this.out(); // something outdented past the root
    return { data, root: this.pos };
  }

  /**
   * From the start of a line, skips blank and comment-only lines. Leaves `i` at the first content
   * character and returns its column, or -1 at the end of the text.
   */
  private nextContentLine(): number {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const lineStart = i;
      while (i < this.n && s.charCodeAt(i) === SP) i++;
      if (i >= this.n) {
        this.i = this.n;
        return (this.col = -1);
      }
      const c = s.charCodeAt(i);
      if (c === NL) {
        i++;
        continue;
      }
      if (c === HASH) {
        const eol = s.indexOf('\n', i);
        if (eol < 0) {
          this.i = this.n;
          return (this.col = -1);
        }
        i = eol + 1;
        continue;
      }
      this.i = i;
      return (this.col = i - lineStart);
    }
  }

  /** After a node on a line: only spaces and a comment may follow; moves to the next line. */
  private endOfLine(): void {
    const s = this.s;
    let i = this.i;
    while (i < this.n && s.charCodeAt(i) === SP) i++;
    if (i < this.n) {
      const c = s.charCodeAt(i);
      if (c === HASH) {
        if (s.charCodeAt(i - 1) !== SP) this.out(); // a '#' right after a node is not a comment
        const eol = s.indexOf('\n', i);
        i = eol < 0 ? this.n : eol;
      } else if (c !== NL) this.out();
      if (i < this.n) i++; // the newline
    }
    this.i = i;
  }

  /** A block mapping whose keys sit at column `indent`; `i` is at its first key. */
  private blockMapping(indent: number): unknown {
    this.enter();
    const data: Record<string, unknown> = {};
    const keys = new Map<string, { keyStart: number; value: PosNode }>();
    const node: PosCollection = { start: this.i, keys };
    for (;;) {
      const keyStart = this.i;
      const key = this.blockKey();
      if (keys.has(key)) this.out(); // js-yaml reports the duplicate
      // `i` is just past the ':'.
      let value: unknown;
      while (this.i < this.n && this.s.charCodeAt(this.i) === SP) this.i++;
      const c = this.i < this.n ? this.s.charCodeAt(this.i) : NL;
      if (c === NL || c === HASH) {
        this.endOfLine();
        const col = this.nextContentLine();
        if (col > indent) value = this.blockNode(col);
        else if (col === indent && this.atBlockEntry(this.i)) value = this.blockSequence(col);
        else this.out(); // an empty value: js-yaml places its null
      } else value = this.inlineLine(indent);
      data[key] = value;
      keys.set(key, { keyStart, value: this.pos });
      // The next line: another key of this mapping, or the end of it.
      if (this.col < indent) return this.done(data, node);
      if (this.col > indent) this.out();
      if (this.atBlockEntry(this.i)) {
        // A sequence entry at a mapping's own indent ends it only when that mapping is a sequence's
        // value at the same indent, which blockSequence handles; here it is the caller's to judge.
        return this.done(data, node);
      }
    }
  }

  private done(data: unknown, node: PosCollection): unknown {
    this.depth--;
    this.pos = node;
    return data;
  }

  /** A plain key followed by ':' and a space or the line's end; leaves `i` just past the ':'. */
  private blockKey(): string {
    const s = this.s;
    const start = this.i;
    if (!this.plainMayStart(start) || this.atBlockEntry(start)) this.out();
    if (s.startsWith('---', start) || s.startsWith('...', start)) this.out(); // document markers
    const end = this.keyColon(start);
    if (end < 0 || end - start > MAX_KEY) this.out();
    let last = end;
    while (last > start && s.charCodeAt(last - 1) === SP) last--;
    const raw = s.slice(start, last);
    const resolved = CORE_SCHEMA.resolveImplicitScalarTag(raw).value;
    // Keys that resolve to a number, null or a boolean are converted by js-yaml; leave them to it.
    if (typeof resolved !== 'string' || resolved === '__proto__') this.out();
    this.i = end + 1;
    return resolved;
  }

  /** A block sequence whose dashes sit at column `indent`; `i` is at its first dash. */
  private blockSequence(indent: number): unknown {
    this.enter();
    const data: unknown[] = [];
    const items: PosNode[] = [];
    const node: PosCollection = { start: this.i, items };
    for (;;) {
      this.i++; // the dash
      while (this.i < this.n && this.s.charCodeAt(this.i) === SP) this.i++;
      const c = this.i < this.n ? this.s.charCodeAt(this.i) : NL;
      let item: unknown;
      if (c === NL || c === HASH) {
        this.endOfLine();
        const col = this.nextContentLine();
        if (col <= indent) this.out(); // an empty entry
        item = this.blockNode(col);
      } else if (this.atBlockEntry(this.i)) {
        this.out(); // `- - x`: a compact nested sequence
      } else if (this.startsKey()) {
        // `- key: value` and the keys under it: a mapping at the first key's column.
        item = this.blockMapping(this.column(this.i));
      } else item = this.inlineLine(indent);
      data.push(item);
      items.push(this.pos);
      if (this.col < indent) return this.done(data, node);
      if (this.col > indent || !this.atBlockEntry(this.i)) {
        // A key at the dashes' column ends a sequence that is a mapping value at the same indent.
        if (this.col === indent) return this.done(data, node);
        this.out();
      }
    }
  }

  /** Whether a plain key (text, then ':' and a space or line end) starts at `i`, on this line. */
  private startsKey(): boolean {
    return this.plainMayStart(this.i) && this.keyColon(this.i) >= 0;
  }

  /** Whether a plain scalar may start at `i`: quotes, flow openers and indicators start something else. */
  private plainMayStart(i: number): boolean {
    const c = this.s.charCodeAt(i);
    return !(c === SQ || c === DQ || c === LBRACK || c === LBRACE || NOT_PLAIN_START.has(this.s[i]));
  }

  /** The ':' that ends a plain key starting at `from` (followed by a space or the line's end, before
   *  any comment), or -1 when this line holds none. */
  private keyColon(from: number): number {
    const s = this.s;
    for (let i = from; i < this.n; i++) {
      ORDINARY_BLOCK.lastIndex = i;
      if (ORDINARY_BLOCK.test(s)) {
        i = ORDINARY_BLOCK.lastIndex;
        if (i >= this.n) return -1;
      }
      const d = s.charCodeAt(i);
      if (d === NL) return -1;
      if (d === HASH && s.charCodeAt(i - 1) === SP) return -1;
      if (d === COLON && this.followedByBlank(i)) return i;
    }
    return -1;
  }

  /** Whether the character at `i` is followed by a space or the line's end (how an indicator reads). */
  private followedByBlank(i: number): boolean {
    const next = i + 1 < this.n ? this.s.charCodeAt(i + 1) : NL;
    return next === SP || next === NL;
  }

  /** Whether a block sequence entry (`- `) starts at `i`. */
  private atBlockEntry(i: number): boolean {
    return this.s.charCodeAt(i) === DASH && this.followedByBlank(i);
  }

  /** A block collection starting on its own line at column `col`: a sequence or a mapping. */
  private blockNode(col: number): unknown {
    return this.atBlockEntry(this.i) ? this.blockSequence(col) : this.blockMapping(col);
  }

  /** A value on the rest of this line, in a collection at column `indent`. */
  private inlineLine(indent: number): unknown {
    const value = this.inlineValue();
    this.endOfLine();
    // A more indented line after an inline value continues a plain scalar, or is an error.
    if (this.nextContentLine() > indent) this.out();
    return value;
  }

  private column(i: number): number {
    return i - (this.s.lastIndexOf('\n', i - 1) + 1);
  }

  /** A value after `key: ` or `- ` on the same line: a flow collection, a quoted or a plain scalar. */
  private inlineValue(): unknown {
    const c = this.s.charCodeAt(this.i);
    if (c === LBRACK || c === LBRACE) return this.flowNode();
    if (c === SQ || c === DQ) return this.quoted();
    return this.plain(false);
  }

  private quoted(): unknown {
    const s = this.s;
    const start = this.i;
    const q = s.charCodeAt(start);
    let i = start + 1;
    let value = '';
    let from = i;
    for (;;) {
      if (i >= this.n) this.out();
      const d = s.charCodeAt(i);
      if (d === NL) this.out(); // multi-line: folding rules, js-yaml's job
      if (q === DQ && d === BACKSLASH) this.out(); // escapes
      if (d === q) {
        if (q === SQ && s.charCodeAt(i + 1) === SQ) {
          value += s.slice(from, i + 1);
          i += 2;
          from = i;
          continue;
        }
        value += s.slice(from, i);
        break;
      }
      i++;
    }
    this.i = i + 1;
    this.pos = start;
    return value;
  }

  /** A one-line plain scalar, resolved by js-yaml's core schema (null, booleans, numbers, strings). */
  private plain(flow: boolean): unknown {
    const s = this.s;
    const start = this.i;
    const c = s.charCodeAt(start);
    if (!this.plainMayStart(start)) this.out();
    if (
      (c === DASH || c === COLON) &&
      (this.followedByBlank(start) || (flow && isFlowIndicator(s.charCodeAt(start + 1))))
    )
      this.out();
    const ordinary = flow ? ORDINARY_FLOW : ORDINARY_BLOCK;
    let i = start;
    while (i < this.n) {
      ordinary.lastIndex = i;
      if (ordinary.test(s)) {
        i = ordinary.lastIndex;
        if (i >= this.n) break;
      }
      const d = s.charCodeAt(i);
      if (d === NL) break;
      if (d === HASH && s.charCodeAt(i - 1) === SP) break;
      if (d === COLON) {
        // `a: b` inside a value is a nested mapping (an error here, or a pair in a flow sequence).
        if (this.followedByBlank(i)) {
          if (flow) break;
          this.out();
        }
        if (flow && isFlowIndicator(s.charCodeAt(i + 1))) this.out();
      }
      if (flow && isFlowIndicator(d)) break;
      i++;
    }
    let end = i;
    while (end > start && s.charCodeAt(end - 1) === SP) end--;
    if (end === start) this.out();
    this.i = end;
    this.pos = start;
    return CORE_SCHEMA.resolveImplicitScalarTag(s.slice(start, end)).value;
  }

  private skipFlowSpaces(): void {
    while (this.i < this.n && this.s.charCodeAt(this.i) === SP) this.i++;
    // A flow collection spread over lines, or a comment inside one: js-yaml.
    if (this.i >= this.n || this.s.charCodeAt(this.i) === NL || this.s.charCodeAt(this.i) === HASH) this.out();
  }

  /** Past a flow collection's opener; true (and past the closer too) when it is empty. */
  private openFlow(close: number): boolean {
    this.i++;
    this.skipFlowSpaces();
    if (this.s.charCodeAt(this.i) !== close) return false;
    this.i++;
    return true;
  }

  /** After an entry (and its spaces): true past the closer, false past a ',' before another entry. */
  private closeOrNext(close: number): boolean {
    const d = this.s.charCodeAt(this.i);
    this.i++;
    if (d === close) return true;
    if (d !== COMMA) this.out();
    this.skipFlowSpaces();
    if (this.s.charCodeAt(this.i) === close) this.out(); // a trailing comma
    return false;
  }

  /** A node inside a flow collection (or one that starts as a value). */
  private flowNode(): unknown {
    const c = this.s.charCodeAt(this.i);
    if (c === LBRACK) return this.flowSequence();
    if (c === LBRACE) return this.flowMapping();
    if (c === SQ || c === DQ) return this.quoted();
    return this.plain(true);
  }

  private flowSequence(): unknown {
    this.enter();
    const data: unknown[] = [];
    const items: PosNode[] = [];
    const node: PosCollection = { start: this.i, items };
    if (this.openFlow(RBRACK)) return this.done(data, node);
    for (;;) {
      const item = this.flowNode();
      this.skipFlowSpaces();
      if (this.s.charCodeAt(this.i) === COLON) this.out(); // `[a: b]`: a single-pair mapping
      data.push(item);
      items.push(this.pos);
      if (this.closeOrNext(RBRACK)) return this.done(data, node);
    }
  }

  private flowMapping(): unknown {
    this.enter();
    const data: Record<string, unknown> = {};
    const keys = new Map<string, { keyStart: number; value: PosNode }>();
    const node: PosCollection = { start: this.i, keys };
    if (this.openFlow(RBRACE)) return this.done(data, node);
    for (;;) {
      const keyStart = this.i;
      const k = this.plain(true); // a quoted or flow key leaves the fast path there
      if (typeof k !== 'string' || k === '__proto__' || keys.has(k) || this.i - keyStart > MAX_KEY) this.out();
      // The key must be followed by ': ' (a key with no value, or ':' then a flow indicator: js-yaml).
      if (this.s.charCodeAt(this.i) !== COLON || this.s.charCodeAt(this.i + 1) !== SP) this.out();
      this.i += 2;
      this.skipFlowSpaces();
      const d0 = this.s.charCodeAt(this.i);
      if (d0 === COMMA || d0 === RBRACE) this.out(); // an empty value
      const value = this.flowNode();
      data[k] = value;
      keys.set(k, { keyStart, value: this.pos });
      this.skipFlowSpaces();
      if (this.closeOrNext(RBRACE)) return this.done(data, node);
    }
  }
}
