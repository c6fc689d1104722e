// config: YAML text → DesiredState, with every error tied to file:line:col and a hint.
// Pure: the caller reads the file and the host facts.
import { z } from 'zod';
import type { Diagnostic, DesiredState, Resource, SourceRef } from '../model.js';
import { NETHOST_ALIAS_EXISTING } from '../model.js';
import { LINK_KINDS, SECTION_KINDS } from '../kinds/index.js';
import type { HostFacts, LinkKind } from '../kinds/types.js';
import { linkId } from '../kinds/links/common.js';
import { addressResource } from '../kinds/address.js';
import { ifname } from '../kinds/fields.js';
import { canonicalIp, coverageIndex } from '../util/net.js';
import { findCycle } from '../plan/graph.js';
import { describe } from '../render/describe.js';
import { parseYaml, type Path } from './yaml.js';
import { describeValue, printable, quote } from '../util/text.js';

/** The largest file nethost reads: a host with tens of thousands of objects needs a few MiB. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
export const tooLarge = (size: string) => `is ${size}: nethost reads files of at most 16 MiB (${MAX_FILE_BYTES} bytes)`;

const TOP_KEYS = ['version', 'interfaces', ...SECTION_KINDS.map((k) => k.section)];

export interface LoadResult {
  desired?: DesiredState;
  diagnostics: Diagnostic[];
}

/** Edit distance, one row at a time. */
function levenshtein(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

// A file with a misspelt key usually has it many times over: each (word, options) pair is worked out once.
const suggestions = new Map<string, string | undefined>();

export function suggest(word: string, options: readonly string[]): string | undefined {
  if (word.length > 64) return undefined; // no option is that long, and the distance costs its square
  const id = `${word}\0${options.join('\0')}`;
  if (suggestions.has(id)) return suggestions.get(id);
  let best: string | undefined;
  let score = Infinity;
  for (const o of options) {
    const s = levenshtein(word, o);
    if (s < score) [best, score] = [o, s];
  }
  const found = score <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
  if (suggestions.size < 10_000) suggestions.set(id, found);
  return found;
}

/** The schemas a value at `path` under `schema` may have to match (optional, default, pipes and
 *  unions unwrapped): where the bounds of a number, say, are found. Reads zod 4's definitions. */
function schemasAt(schema: z.ZodType, path: Path): any[] {
  const unwrap = (s: any): any[] => {
    for (;;) {
      const d = s?._zod?.def;
      if (!d) return [];
      if (d.type === 'union') return d.options.flatMap(unwrap);
      if (d.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
      else if (d.type === 'pipe') s = d.in;
      else return [s];
    }
  };
  let here = unwrap(schema);
  for (const step of path) {
    here = here.flatMap((s) => {
      const d = s._zod.def;
      if (d.type === 'object' && typeof step === 'string' && step in d.shape) return unwrap(d.shape[step]);
      if (d.type === 'array' && typeof step === 'number') return unwrap(d.element);
      if (d.type === 'record') return unwrap(d.valueType);
      return [];
    });
  }
  return here;
}

/** A number's bounds as the schema states them; a bound past the safe integers is no bound. */
function numberBounds(schemas: any[]): { min?: number; max?: number; int: boolean } | undefined {
  const n = schemas.find((s) => s._zod.def.type === 'number');
  if (!n) return undefined;
  const bound = (v: unknown) => (typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  return { min: bound(n.minValue), max: bound(n.maxValue), int: !!n.isInt };
}

const valueAt = (data: unknown, path: Path): unknown => path.reduce<any>((v, step) => (v !== null && typeof v === 'object' ? v[step] : undefined), data);

/** How an error names the field: its key, with the index of a list entry (`addresses[1]`). */
function fieldName(path: Path): string {
  if (path[0] === 'sysctls' && path.length === 2) return `sysctl ${printable(String(path[1]))}`;
  let i = path.length;
  while (i > 0 && typeof path[i - 1] === 'number') i--;
  const key = i > 0 ? printable(String(path[i - 1])) : 'the file';
  return key + path.slice(i).map((n) => `[${n}]`).join('');
}

const TYPE_WORDS: Record<string, string> = { number: 'a number', int: 'an integer', string: 'text', boolean: 'true or false', array: 'a list', object: 'a mapping', record: 'a mapping' };

/** What to write for a value of the wrong type, from what it is and what is wanted. */
function typeHint(expected: string, value: unknown, key: string, bounds: ReturnType<typeof numberBounds>): string {
  if ((expected === 'number' || expected === 'int') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return `write it without quotes: ${key}: ${value.trim()}`;
  if (expected === 'number' || expected === 'int') return rangeHint(bounds) ?? 'write a number';
  if (expected === 'boolean') return typeof value === 'string' ? 'write true or false, unquoted (yes, no, on and off are text in YAML 1.2)' : 'write true or false';
  if (expected === 'array') return `write a list: ${key}: [a, b] or one "- " entry per line`;
  if (expected === 'object' || expected === 'record') return `write a mapping: ${key}: {name: value}, or "name: value" lines indented under it`;
  if (expected === 'string') return `write text (quoted if it looks like a number or true/false): ${key}: "…"`;
  return 'see nethost.yaml(5) for what this field takes';
}

function rangeHint(b: ReturnType<typeof numberBounds>): string | undefined {
  if (!b) return undefined;
  const what = b.int ? 'a whole number' : 'a number';
  if (b.min !== undefined && b.max !== undefined) return `write ${what} from ${b.min} to ${b.max}`;
  if (b.min !== undefined) return `write ${what} of at least ${b.min}`;
  if (b.max !== undefined) return `write ${what} of at most ${b.max}`;
  return `write ${what}`;
}

/** How much an issue says about the value: a refinement's own words most, a list of options least. */
const SPECIFIC: Record<string, number> = { custom: 4, invalid_format: 4, too_big: 3, too_small: 3, invalid_value: 2 };

/** The innermost problems of a union: those of the branches whose type matched (the most specific
 *  first: text that is no table name says why as text), else every branch's type. */
function unionLeaves(issue: any): any[] {
  const leaves = (issue.errors as any[][]).flat().flatMap((i) => (i.code === 'invalid_union' ? unionLeaves(i) : [i]));
  const specific = leaves.filter((i) => i.code !== 'invalid_type').sort((a, b) => (SPECIFIC[b.code] ?? 1) - (SPECIFIC[a.code] ?? 1));
  return specific.length ? specific : leaves;
}

/** One zod issue as "FIELD VALUE is …; write …": the field named, the value quoted, the allowed shown. */
function describeIssue(issue: any, field: string, key: string, value: unknown, schemas: any[]): { message: string; hint: string } {
  const bounds = numberBounds(schemas);
  switch (issue.code) {
    case 'invalid_union': {
      const leaves = unionLeaves(issue);
      if (leaves.every((i) => i.code === 'invalid_type')) {
        const wanted = [...new Set(leaves.map((i) => TYPE_WORDS[i.expected] ?? i.expected))];
        const list = wanted.length > 1 ? `${wanted.slice(0, -1).join(', ')} or ${wanted[wanted.length - 1]}` : wanted[0];
        return { message: `${field} must be ${list}, not ${describeValue(value)}`, hint: 'see nethost.yaml(5) for the forms this field takes' };
      }
      return describeIssue(leaves[0], field, key, value, schemas);
    }
    case 'invalid_type': {
      if (issue.expected === 'int') return { message: `${field} must be an integer, not ${describeValue(value)}`, hint: rangeHint(bounds) ?? 'write a whole number' };
      const wanted = TYPE_WORDS[issue.expected] ?? issue.expected;
      return { message: `${field} must be ${wanted}, not ${describeValue(value)}`, hint: typeHint(issue.expected, value, key, bounds) };
    }
    case 'too_big':
    case 'too_small': {
      if (issue.origin === 'number' || issue.origin === 'int') {
        const min = bounds?.min ?? (issue.code === 'too_small' ? issue.minimum : undefined);
        const max = bounds?.max ?? (issue.code === 'too_big' ? issue.maximum : undefined);
        const range = min !== undefined && max !== undefined ? `out of range ${min}–${max}` : max !== undefined ? `more than ${max}` : `less than ${min}`;
        return { message: `${field} ${describeValue(value).replace(/^the number /, '')} is ${range}`, hint: rangeHint({ min, max, int: bounds?.int ?? false })! };
      }
      break;
    }
    case 'invalid_value':
      if ('values' in issue) {
        const values = (issue.values as unknown[]).map(String);
        return { message: `${field} ${quote(value)} is not one of ${values.join(', ')}`, hint: `write one of: ${values.join(', ')}` };
      }
      break;
    case 'custom':
    case 'invalid_format': {
      // Refinements say "problem; what to write instead".
      const [problem, hint] = String(issue.message).split('; ');
      return { message: `${field} ${quote(value)}: ${problem}`, hint: hint ?? 'see nethost.yaml(5) for what this field takes' };
    }
  }
  return { message: `${field}: ${String(issue.message).replace(/^Invalid input: /, '')}`, hint: 'see nethost.yaml(5) for what this field takes' };
}

/** zod's issues for one entry (`input`, checked against `schema`) → diagnostics at their places. */
function zodDiagnostics(err: z.ZodError, schema: z.ZodType, input: unknown, base: Path, allowed: readonly string[], at: (p: Path, key?: boolean) => SourceRef | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>(); // one problem per field: the first zod found there
  for (const issue of err.issues) {
    const rel = issue.path as Path;
    const path = [...base, ...rel];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const s = suggest(k, allowed);
        out.push({
          severity: 'error',
          message: `unknown key ${quote(k)}`,
          hint: s ? `did you mean "${s}"?` : `allowed here: ${allowed.join(', ')}`,
          path: [...path, k],
          source: at([...path, k], true),
        });
      }
      continue;
    }
    const id = JSON.stringify(path);
    if (seen.has(id)) continue;
    seen.add(id);
    const value = valueAt(input, rel);
    const key = printable(String(path[path.length - 1]));
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && value === undefined) {
      out.push({ severity: 'error', message: `missing required key "${key}"`, hint: `add ${key}: (see nethost.yaml(5))`, path, source: at(path.slice(0, -1)) });
      continue;
    }
    const { message, hint } = describeIssue(issue, fieldName(path), key, value, schemasAt(schema, rel));
    out.push({ severity: 'error', message, hint, path, source: at(path) ?? at(path.slice(0, -1)) });
  }
  return out;
}

const shapeKeys = (s: z.ZodType): string[] => ('shape' in s ? Object.keys((s as z.ZodObject).shape) : []);

export function loadDesiredState(text: string, file: string, facts: HostFacts): LoadResult {
  // A UTF-16 unit is at most 3 bytes of UTF-8: only a long text needs counting.
  if (text.length > MAX_FILE_BYTES / 3 && Buffer.byteLength(text) > MAX_FILE_BYTES) {
    const message = `the file ${tooLarge(`${Buffer.byteLength(text)} bytes`)}`;
    return { diagnostics: [{ severity: 'error', message, hint: "a host's network file is far smaller: is this the right file?", source: { file, line: 1, col: 1 } }] };
  }
  const parsed = parseYaml(text, file);
  if (!parsed.ok) {
    return { diagnostics: [{ severity: 'error', message: `YAML: ${parsed.error.message}`, hint: parsed.error.hint ?? 'check indentation and quoting at this spot', source: parsed.error.source }] };
  }
  const diagnostics: Diagnostic[] = [];
  const at = parsed.at;
  const data = parsed.data as any;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { diagnostics: [{ severity: 'error', message: 'the file must be a mapping with "version: 1" at the top', hint: 'start the file with: version: 1', source: { file, line: 1, col: 1 } }] };
  }

  // Top level
  for (const k of Object.keys(data)) {
    if (!TOP_KEYS.includes(k)) {
      const s = suggest(k, TOP_KEYS);
      diagnostics.push({ severity: 'error', message: `unknown top-level key ${quote(k)}`, hint: s ? `did you mean "${s}"?` : `allowed: ${TOP_KEYS.join(', ')}`, path: [k], source: at([k], true) });
    }
  }
  if (data.version !== 1) {
    diagnostics.push({ severity: 'error', message: data.version === undefined ? 'missing "version"' : typeof data.version === 'number' ? `unsupported version ${data.version}` : `version must be the number 1, not ${describeValue(data.version)}`, hint: 'write version: 1', path: ['version'], source: at(['version']) ?? { file, line: 1, col: 1 } });
  }

  const resources = new Map<string, Resource>();
  const add = (r: Resource) => resources.set(r.id, r);

  // Interfaces
  const ifaces: Record<string, any> = data.interfaces ?? {};
  if (typeof ifaces !== 'object' || Array.isArray(ifaces)) {
    diagnostics.push({ severity: 'error', message: '"interfaces" must be a mapping keyed by interface name', hint: 'write interfaces:\n  br0: {kind: bridge}', source: at(['interfaces']) });
    return { diagnostics };
  }
  const kindNames = LINK_KINDS.map((k) => k.configKind);
  const valid = new Map<string, { kind: LinkKind; entry: any }>();
  for (const [name, entry] of Object.entries(ifaces)) {
    const nameCheck = ifname.safeParse(name);
    if (!nameCheck.success) {
      const [problem, hint] = nameCheck.error.issues[0].message.split('; ');
      diagnostics.push({ severity: 'error', message: `interface name ${quote(name)}: ${problem}`, hint, path: ['interfaces', name], source: at(['interfaces', name], true) });
      continue;
    }
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      diagnostics.push({ severity: 'error', message: `interface "${name}" must be a mapping with a kind`, hint: `write ${name}: {kind: bridge}`, path: ['interfaces', name], source: at(['interfaces', name]) });
      continue;
    }
    const kind = LINK_KINDS.find((k) => k.configKind === entry.kind);
    if (entry.kind !== undefined && typeof entry.kind !== 'string') {
      diagnostics.push({ severity: 'error', message: `kind of interface "${name}" must be text, not ${describeValue(entry.kind)}`, hint: `write one of: ${kindNames.join(', ')}`, path: ['interfaces', name, 'kind'], source: at(['interfaces', name, 'kind']) ?? at(['interfaces', name]) });
      continue;
    }
    if (!kind) {
      const s = typeof entry.kind === 'string' ? suggest(entry.kind, kindNames) : undefined;
      diagnostics.push({
        severity: 'error',
        message: entry.kind === undefined ? `interface "${name}" has no kind` : `unknown kind ${quote(entry.kind)} for interface "${name}"`,
        hint: s ? `did you mean "${s}"?` : `write one of: ${kindNames.join(', ')}`,
        path: ['interfaces', name, 'kind'],
        source: at(['interfaces', name, 'kind']) ?? at(['interfaces', name]),
      });
      continue;
    }
    const parsed = kind.schema.safeParse(entry);
    if (!parsed.success) {
      diagnostics.push(...zodDiagnostics(parsed.error, kind.schema, entry, ['interfaces', name], shapeKeys(kind.schema), at));
      continue;
    }
    valid.set(name, { kind, entry: parsed.data });
  }

  // Membership: written once, as the master's `ports`.
  const masterOf = new Map<string, string>();
  for (const [name, { entry }] of valid) {
    (entry.ports ?? []).forEach((port: string, i: number) => {
      const where = { path: ['interfaces', name, 'ports', i], source: at(['interfaces', name, 'ports', i]) };
      if (port === name) diagnostics.push({ severity: 'error', message: `${name} lists itself as a port`, hint: 'remove it from ports', ...where });
      else if (!(port in ifaces)) diagnostics.push({ severity: 'error', message: `port "${port}" of ${name} is not declared`, hint: `declare it under interfaces (kind: ethernet for an existing device)`, ...where });
      else if (masterOf.has(port)) diagnostics.push({ severity: 'error', message: `"${port}" is a port of both ${masterOf.get(port)} and ${name}`, hint: 'a link has one master: list it under one of them', ...where });
      else masterOf.set(port, name);
    });
  }

  const seenIps = new Map<string, string>();
  for (const [name, { kind, entry }] of valid) {
    const r = kind.fromConfig(name, entry, facts);
    for (const d of r.diagnostics ?? []) diagnostics.push({ ...d, source: d.source ?? (d.path ? at(d.path) : undefined) });
    const deps = [...r.deps];
    const master = masterOf.get(name);
    if (master) deps.push({ id: linkId(master), via: 'master', mode: 'attach' });
    add({ id: linkId(name), kind: kind.name, attrs: { ...r.attrs, master: master ?? null }, owned: true, deps, source: at(['interfaces', name], true) });
    (entry.addresses ?? []).forEach((text: string, i: number) => {
      const a = addressResource(name, text)!;
      const ip = canonicalIp(text.split('/')[0])!.ip;
      const where = { path: ['interfaces', name, 'addresses', i], source: at(['interfaces', name, 'addresses', i]) };
      if (seenIps.has(ip)) {
        diagnostics.push({ severity: 'error', message: `address ${ip} is listed twice (also on ${seenIps.get(ip)})`, hint: 'an address belongs on one link once', ...where });
        return;
      }
      seenIps.set(ip, name);
      add({ ...a, source: where.source });
    });
  }

  // Sections (routes need addresses, rules need routes)
  for (const kind of SECTION_KINDS) {
    const section = data[kind.section];
    if (section === undefined) continue;
    const parsed = kind.schema.safeParse(section);
    if (!parsed.success) {
      const entryShape = 'element' in kind.schema ? shapeKeys((kind.schema as z.ZodArray<z.ZodObject>).element) : [];
      diagnostics.push(...zodDiagnostics(parsed.error, kind.schema, section, [kind.section], entryShape, at));
      continue;
    }
    const r = kind.fromConfig(parsed.data, at, resources, facts);
    diagnostics.push(...r.diagnostics);
    r.resources.forEach(add);
  }

  // References to links must name declared links.
  for (const r of resources.values()) {
    for (const d of r.deps) {
      if (!d.id.startsWith('link:') || resources.has(d.id)) continue;
      if (d.via === 'peer' || d.via === 'iif') continue;
      const target = d.id.slice(5);
      const field = r.kind === 'address' ? 'addresses' : d.via;
      diagnostics.push({
        severity: 'error',
        message: `${describe(r)} refers to link "${target}" (${field}), which the file does not declare`,
        hint: `declare ${target} under interfaces (kind: ethernet for an existing device)`,
        source: r.source,
      });
    }
  }
  // A veth whose peer is in the file must be named back by it; an undeclared peer is created with it.
  for (const [name, { entry }] of valid) {
    if (entry.kind !== 'veth' || entry.peer_netns) continue;
    const other = valid.get(entry.peer);
    if (other && (other.entry.kind !== 'veth' || other.entry.peer !== name))
      diagnostics.push({ severity: 'error', message: `veth ${name} names ${entry.peer} as its peer, but ${entry.peer} is not a veth whose peer is ${name}`, hint: `write ${entry.peer}: {kind: veth, peer: ${name}}`, source: at(['interfaces', name, 'peer']) });
    if (!other) {
      const me = resources.get(linkId(name))!;
      me.deps = me.deps.filter((d) => d.via !== 'peer');
    }
  }

  // A link carried over its own master (a vxlan whose dev is the bridge it is a port of) loops its
  // own traffic: the dependency graph has no cycle (both edges point at the master), so say it here.
  for (const [name] of valid) {
    const master = masterOf.get(name);
    const me = resources.get(linkId(name));
    const lower = me?.deps.find((d) => (d.via === 'dev' || d.via === 'link') && d.id === linkId(master ?? ''));
    if (!master || !lower) continue;
    diagnostics.push({
      severity: 'error',
      message: `${name} is a port of ${master} and also runs over it (${lower.via}: ${master})`,
      hint: `carry ${name} over another link (the underlay), or take it out of ${master}'s ports`,
      source: at(['interfaces', name, lower.via]) ?? at(['interfaces', name]),
    });
  }

  // The kernel gives a passthru macvlan/macvtap its lower device alone: any second one is refused.
  const uppers = new Map<string, string[]>();
  for (const [name, { entry }] of valid) if (entry.kind === 'macvlan' || entry.kind === 'macvtap') (uppers.get(entry.link) ?? uppers.set(entry.link, []).get(entry.link)!).push(name);
  for (const [lower, names] of uppers) {
    const passthru = names.filter((n) => valid.get(n)!.entry.mode === 'passthru');
    if (!passthru.length || names.length < 2) continue;
    for (const n of passthru)
      diagnostics.push({
        severity: 'error',
        message: `${n} is in passthru mode on ${lower}, which also carries ${names.filter((x) => x !== n).join(', ')}`,
        hint: `a passthru ${valid.get(n)!.entry.kind} must be alone on its lower device: use mode bridge (or vepa, private) for all of them, or move the others`,
        source: at(['interfaces', n, 'mode']),
      });
  }

  // Gateways must be reachable through an address the file gives (or through an existing device's own).
  const externallyAddressed = [...valid.values()].some(({ entry }) => entry.kind === 'ethernet');
  for (const r of resources.values()) {
    if (r.kind !== 'route' || !r.attrs.via || r.attrs.onlink) continue;
    if (r.deps.some((d) => d.via === 'via')) continue;
    if (externallyAddressed) continue; // decided at plan time, against the live addresses (DHCP …)
    diagnostics.push({
      severity: 'error',
      message: `gateway ${r.attrs.via} is not in any prefix of an address in the file`,
      hint: 'add an address on the gateway\'s subnet, or set onlink: true with dev',
      source: r.source,
    });
  }

  // Dependency cycles (a bridge that is a port of its own port, a vxlan over its own bridge …)
  const cycle = findCycle([...resources.values()].map((r) => ({ id: r.id, after: r.deps.filter((d) => resources.has(d.id)).map((d) => d.id) })));
  if (cycle) {
    const first = resources.get(cycle[0]);
    diagnostics.push({ severity: 'error', message: `dependency cycle: ${cycle.map((id) => id.replace(/^link:/, '')).join(' → ')}`, hint: 'break the loop: a link cannot sit under itself', source: first?.source });
  }

  diagnostics.sort((a, b) => (a.source?.line ?? 0) - (b.source?.line ?? 0) || (a.source?.col ?? 0) - (b.source?.col ?? 0));
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { desired: { file, resources }, diagnostics };
}

/** Checks only the live state can answer: a device the file says exists, a name taken by another kind. */
export function checkAgainstLive(desired: DesiredState, live: { resources: Map<string, Resource>; addresses: string[] }): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of desired.resources.values()) {
    if (!r.id.startsWith('link:')) continue;
    const name = r.id.slice(5);
    const l = live.resources.get(r.id);
    if (r.kind === 'ethernet' && !l) {
      out.push({ severity: 'error', message: `ethernet device "${name}" does not exist here`, hint: 'nethost never creates an ethernet device: check the name (ip link), or use another kind to create one', source: r.source });
    } else if (l && (!l.owned || l.attrs.mark === NETHOST_ALIAS_EXISTING) && r.kind !== 'ethernet' && l.kind !== r.kind) {
      out.push({ severity: 'error', message: `"${name}" exists as a ${l.kind} that nethost did not create, but the file says ${r.kind}`, hint: `write kind: ethernet to manage it as it is, or choose another name`, source: r.source });
    }
  }
  const have = [...live.addresses, ...[...desired.resources.values()].filter((r) => r.kind === 'address').map((r) => String(r.attrs.address))];
  const covering = coverageIndex(have.map((cidr) => ({ cidr, value: true })));
  for (const r of desired.resources.values()) {
    if (r.kind !== 'route' || !r.attrs.via || r.attrs.onlink) continue;
    if (!covering(String(r.attrs.via)).length)
      out.push({ severity: 'error', message: `gateway ${r.attrs.via} is not reachable: no address here or in the file covers it`, hint: 'add an address on the gateway\'s subnet, or set onlink: true with dev', source: r.source });
  }
  return out;
}
