// YAML text → plain data, plus a way to find where any path of it was written.
// js-yaml's event stream carries source offsets, so one parse gives both the data and the
// positions (a path → node index built in one linear pass). YAML 1.2 core schema: no timestamps,
// no merge keys, `yes`/`no` are strings, as in the YAML spec and in netplan's reading.
import {
  constructFromEvents,
  EVENT_ID,
  getScalarValue,
  parseEvents,
  SCALAR_STYLE,
  YAMLException,
  type Event,
} from 'js-yaml';
import type { SourceRef } from '../model.js';
import { nodeStart, parseSubset, type PosCollection, type PosNode } from './yaml-subset.js';
import { printable } from '../util/text.js';

export type Path = (string | number)[];

export type ParsedYaml =
  | { ok: true; data: unknown; at: (path: Path, key?: boolean) => SourceRef | undefined }
  | { ok: false; error: { message: string; hint?: string; source: SourceRef } };

/** Aliases are kept (one object shared), but a file that leans on them this hard is an attack: each
 *  consumer of the data (the checks, a message quoting a value) walks it expanded, so 81 aliases
 *  nested nine deep in a 1 KB file stand for 387 million nodes. */
export const MAX_ALIASES = 100;
/** The most nodes all of a file's aliases may stand for, together. */
export const MAX_ALIAS_NODES = 100_000;

export function parseYaml(text: string, file: string): ParsedYaml {
  let lines: number[] | undefined; // only an error or a lookup needs them
  const pos = (offset: number): SourceRef => {
    lines ??= lineStarts(text);
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, col: offset - lines[lo] + 1 };
  };
  // Most files are in the subset the fast path reads; it gives up on anything else, js-yaml does not.
  const fast = parseSubset(text);
  let root: PosNode | undefined;
  let data: unknown;
  if (fast) ({ root, data } = fast);
  else {
    const r = parseGeneral(text, file, pos);
    if (!r.ok) return r;
    ({ root, data } = r);
  }
  const at = (path: Path, key = false): SourceRef | undefined => {
    let node = root;
    let last = root === undefined ? undefined : nodeStart(root);
    for (let i = 0; i < path.length && node !== undefined && typeof node !== 'number'; i++) {
      const step = path[i];
      if (node.keys) {
        const pair = node.keys.get(String(step));
        if (!pair) break;
        if (key && i === path.length - 1) {
          last = pair.keyStart;
          break;
        }
        node = pair.value;
        last = nodeStart(node);
      } else if (node.items && typeof step === 'number') {
        node = node.items[step];
        if (node === undefined) break;
        last = nodeStart(node);
      } else break;
    }
    return last === undefined || last < 0 ? undefined : pos(last);
  };
  return { ok: true, data, at };
}

/** Any YAML, through js-yaml's event stream: the data, and node positions from one pass over the events.
 *  (Exported for the test that holds the fast path to it.) */
export function parseGeneral(
  text: string,
  file: string,
  pos: (offset: number) => SourceRef,
): { ok: true; data: unknown; root: PosNode | undefined } | Extract<ParsedYaml, { ok: false }> {
  let events: Event[];
  let docs: unknown[];
  try {
    events = parseEvents(text, { filename: file });
    const refused = aliasProblem(text, events);
    if (refused)
      return { ok: false, error: { message: refused.message, hint: refused.hint, source: pos(refused.offset) } };
    docs = constructFromEvents(events, { source: text, filename: file, maxAliases: MAX_ALIASES });
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    const source = e.mark ? { file, line: e.mark.line + 1, col: e.mark.column + 1 } : { file, line: 1, col: 1 };
    const hint = /maxDepth/.test(e.reason)
      ? 'nethost reads lists and mappings nested at most 100 deep: flatten the data here'
      : undefined;
    return { ok: false, error: { message: e.reason, hint, source } };
  }
  if (docs.length > 1) {
    const second = events.findIndex((ev, i) => i > 0 && ev.type === EVENT_ID.DOCUMENT);
    const next = events.slice(second).find((ev) => 'start' in ev || 'valueStart' in ev) as
      | { start?: number; valueStart?: number }
      | undefined;
    return {
      ok: false,
      error: {
        message: 'more than one YAML document (---) in the file',
        source: pos(next?.start ?? next?.valueStart ?? 0),
      },
    };
  }
  return { ok: true, data: docs[0] ?? null, root: positions(text, events) };
}

/**
 * Counts what the aliases of the first document expand to, from the events alone (nothing is built):
 * each anchored node's size, expanded, is known once it closes, and an alias adds its anchor's. Refuses
 * more than MAX_ALIASES aliases, more than MAX_ALIAS_NODES nodes behind them, and an alias inside the
 * node it names (js-yaml builds that as a cycle, which no check could walk to its end).
 */
function aliasProblem(text: string, events: Event[]): { message: string; hint: string; offset: number } | undefined {
  const sizes = new Map<string, number>(); // anchor → expanded size; -1 while its node is open
  const open: { size: number; anchor?: string }[] = [{ size: 0 }];
  let aliases = 0;
  let behindAliases = 0;
  const add = (n: number) => (open[open.length - 1].size += n);
  const anchorOf = (ev: { anchorStart: number; anchorEnd: number }) =>
    ev.anchorStart >= 0 ? text.slice(ev.anchorStart, ev.anchorEnd) : undefined;
  let documents = 0;
  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > 1) return undefined; // a second document is refused anyway
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const anchor = anchorOf(ev);
        if (anchor !== undefined) sizes.set(anchor, -1);
        open.push({ size: 1, anchor });
        break;
      }
      case EVENT_ID.POP: {
        if (open.length === 1) break; // the document's own end
        const node = open.pop()!;
        if (node.anchor !== undefined) sizes.set(node.anchor, node.size);
        add(node.size);
        break;
      }
      case EVENT_ID.SCALAR: {
        const anchor = anchorOf(ev);
        if (anchor !== undefined) sizes.set(anchor, 1);
        add(1);
        break;
      }
      case EVENT_ID.ALIAS: {
        const name = text.slice(ev.anchorStart, ev.anchorEnd);
        const size = sizes.get(name);
        const offset = ev.anchorStart - 1; // the '*'
        if (size === undefined) break; // js-yaml reports the unknown anchor
        const alias = `*${printable(name)}`;
        if (size < 0)
          return {
            message: `alias ${alias} is inside the node it names: the data would never end`,
            hint: `move ${alias} out of the node anchored &${printable(name)}`,
            offset,
          };
        if (++aliases > MAX_ALIASES)
          return {
            message: `more than ${MAX_ALIASES} aliases (${alias} here is one too many)`,
            hint: `nethost reads at most ${MAX_ALIASES} aliases in a file: write the repeated parts out`,
            offset,
          };
        behindAliases += size;
        if (behindAliases > MAX_ALIAS_NODES)
          return {
            message: `the aliases stand for more than ${MAX_ALIAS_NODES} nodes (${alias} here goes past it): aliases nested in aliases grow exponentially`,
            hint: `nethost expands at most ${MAX_ALIAS_NODES} nodes behind all aliases of a file: write the repeated parts out, or alias smaller ones`,
            offset,
          };
        add(size);
        break;
      }
    }
  }
  return undefined;
}

function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** Where each event's node starts: its anchor or tag if written before it, else its value. */
function startOf(ev: Event): number {
  const s = ev as Partial<Record<'start' | 'valueStart' | 'anchorStart' | 'tagStart', number>>;
  // A quoted scalar's value starts after its opening quote; the node starts at the quote.
  const quoted =
    ev.type === EVENT_ID.SCALAR && (ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED);
  const own =
    ev.type === EVENT_ID.ALIAS
      ? (s.anchorStart ?? 0) - 1
      : ev.type === EVENT_ID.SCALAR
        ? s.valueStart! - (quoted ? 1 : 0)
        : s.start!;
  // anchorStart is past the '&'; tagStart is at the '!'.
  const props =
    ev.type === EVENT_ID.ALIAS ? [] : [(s.anchorStart ?? -1) >= 0 ? s.anchorStart! - 1 : -1, s.tagStart ?? -1];
  return Math.min(own, ...props.filter((x) => x >= 0 && x < own));
}

/** One pass over the first document's events: a tree of node starts addressed like the data. */
function positions(text: string, events: Event[]): PosNode | undefined {
  let root: PosNode | undefined;
  // Open collections; a mapping alternates key, value (`pendingKey` holds the key awaiting its value).
  const stack: { node: PosCollection; pendingKey?: { text: string | undefined; start: number } }[] = [];
  const attach = (node: PosNode, ev: Event) => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (root === undefined) root = node;
      return;
    }
    if (top.node.items) top.node.items.push(node);
    else if (!top.pendingKey)
      top.pendingKey = {
        text: ev.type === EVENT_ID.SCALAR ? getScalarValue(text, ev) : undefined,
        start: nodeStart(node),
      };
    else {
      const k = top.pendingKey;
      top.pendingKey = undefined;
      if (k.text !== undefined && !top.node.keys!.has(k.text))
        top.node.keys!.set(k.text, { keyStart: k.start, value: node });
    }
  };
  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        if (root !== undefined) return root;
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const node: PosCollection =
          ev.type === EVENT_ID.MAPPING ? { start: startOf(ev), keys: new Map() } : { start: startOf(ev), items: [] };
        attach(node, ev);
        stack.push({ node });
        break;
      }
      case EVENT_ID.SCALAR:
      case EVENT_ID.ALIAS:
        attach(startOf(ev), ev);
        break;
      case EVENT_ID.POP:
        stack.pop();
        break;
    }
  }
  return root;
}
