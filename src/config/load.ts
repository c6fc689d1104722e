// config: YAML text → DesiredState, with every error tied to file:line:col and a hint.
// Pure: the caller reads the file and the host facts.
import { z } from 'zod';
import type { Diagnostic, DesiredState, LiveState, Resource, SourceRef } from '../model.js';
import { NETHOST_ALIAS_EXISTING } from '../model.js';
import { kindOf, LINK_KINDS, SECTION_KINDS } from '../kinds/index.js';
import type { HostFacts, LinkKind } from '../kinds/types.js';
import { linkId } from '../kinds/links/common.js';
import { addressResource } from '../kinds/address.js';
import { ifname } from '../kinds/fields.js';
import { canonicalIp, coverageIndex } from '../util/net.js';
import { findCycle } from '../plan/graph.js';
import { describe } from '../render/describe.js';
import { parseYaml, type Path } from './yaml.js';

const TOP_KEYS = ['version', 'interfaces', ...SECTION_KINDS.map((k) => k.section)];

export interface LoadResult {
  desired?: DesiredState;
  diagnostics: Diagnostic[];
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

export function suggest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let score = Infinity;
  for (const o of options) {
    const s = levenshtein(word, o);
    if (s < score) [best, score] = [o, s];
  }
  return score <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function zodDiagnostics(err: z.ZodError, base: Path, allowed: readonly string[], at: (p: Path, key?: boolean) => SourceRef | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of err.issues) {
    const path = [...base, ...(issue.path as Path)];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const s = suggest(k, allowed);
        out.push({
          severity: 'error',
          message: `unknown key "${k}"`,
          hint: s ? `did you mean "${s}"?` : `allowed here: ${allowed.join(', ')}`,
          path: [...path, k],
          source: at([...path, k], true),
        });
      }
      continue;
    }
    let message = issue.message.replace(/^Invalid input: /, '');
    let hint: string | undefined;
    // Refinements say "problem; what to write instead".
    const semi = message.indexOf('; ');
    if (issue.code === 'custom' && semi > 0) [message, hint] = [message.slice(0, semi), message.slice(semi + 2)];
    if (issue.code === 'invalid_value' && 'values' in issue) hint = `write one of: ${(issue.values as unknown[]).join(', ')}`;
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
      const key = path[path.length - 1];
      out.push({ severity: 'error', message: `missing required key "${key}"`, hint: `add ${key}: (see nethost.yaml(5))`, path, source: at(path.slice(0, -1)) });
      continue;
    }
    if (issue.code === 'invalid_type') hint = `write a ${issue.expected} here`;
    if (issue.code === 'invalid_union') hint = 'see nethost.yaml(5) for the forms this field takes';
    if (issue.code === 'too_small' || issue.code === 'too_big') hint = 'see nethost.yaml(5) for the allowed range';
    out.push({ severity: 'error', message, hint, path, source: at(path) ?? at(path.slice(0, -1)) });
  }
  return out;
}

const shapeKeys = (s: z.ZodType): string[] => ('shape' in s ? Object.keys((s as z.ZodObject).shape) : []);

export function loadDesiredState(text: string, file: string, facts: HostFacts): LoadResult {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) {
    return { diagnostics: [{ severity: 'error', message: `YAML: ${parsed.error.message}`, hint: 'check indentation and quoting at this spot', source: parsed.error.source }] };
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
      diagnostics.push({ severity: 'error', message: `unknown top-level key "${k}"`, hint: s ? `did you mean "${s}"?` : `allowed: ${TOP_KEYS.join(', ')}`, path: [k], source: at([k], true) });
    }
  }
  if (data.version !== 1) {
    diagnostics.push({ severity: 'error', message: data.version === undefined ? 'missing "version"' : `unsupported version ${JSON.stringify(data.version)}`, hint: 'write version: 1', path: ['version'], source: at(['version']) ?? { file, line: 1, col: 1 } });
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
      diagnostics.push({ severity: 'error', message: `interface name "${name}": ${problem}`, hint, path: ['interfaces', name], source: at(['interfaces', name], true) });
      continue;
    }
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      diagnostics.push({ severity: 'error', message: `interface "${name}" must be a mapping with a kind`, hint: `write ${name}: {kind: bridge}`, path: ['interfaces', name], source: at(['interfaces', name]) });
      continue;
    }
    const kind = LINK_KINDS.find((k) => k.configKind === entry.kind);
    if (!kind) {
      const s = typeof entry.kind === 'string' ? suggest(entry.kind, kindNames) : undefined;
      diagnostics.push({
        severity: 'error',
        message: entry.kind === undefined ? `interface "${name}" has no kind` : `unknown kind "${entry.kind}" for interface "${name}"`,
        hint: s ? `did you mean "${s}"?` : `write one of: ${kindNames.join(', ')}`,
        path: ['interfaces', name, 'kind'],
        source: at(['interfaces', name, 'kind']) ?? at(['interfaces', name]),
      });
      continue;
    }
    const parsed = kind.schema.safeParse(entry);
    if (!parsed.success) {
      diagnostics.push(...zodDiagnostics(parsed.error, ['interfaces', name], shapeKeys(kind.schema), at));
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
  const entries = new Map([...valid].map(([name, v]) => [name, v.entry]));
  for (const kind of SECTION_KINDS) {
    const section = data[kind.section];
    if (section === undefined && !kind.readsInterfaces) continue;
    const parsed = section === undefined ? { success: true as const, data: undefined } : kind.schema.safeParse(section);
    if (!parsed.success) {
      const entryShape = 'element' in kind.schema ? shapeKeys((kind.schema as z.ZodArray<z.ZodObject>).element) : shapeKeys(kind.schema);
      diagnostics.push(...zodDiagnostics(parsed.error, [kind.section], entryShape, at));
      continue;
    }
    const r = kind.fromConfig(parsed.data, at, resources, facts, entries);
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
export function checkAgainstLive(desired: DesiredState, live: LiveState): Diagnostic[] {
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
  for (const r of desired.resources.values()) out.push(...(kindOf(r.kind).checkLive?.(r, desired, live) ?? []));
  const have = [...live.addresses, ...[...desired.resources.values()].filter((r) => r.kind === 'address').map((r) => String(r.attrs.address))];
  const covering = coverageIndex(have.map((cidr) => ({ cidr, value: true })));
  for (const r of desired.resources.values()) {
    if (r.kind !== 'route' || !r.attrs.via || r.attrs.onlink) continue;
    if (!covering(String(r.attrs.via)).length)
      out.push({ severity: 'error', message: `gateway ${r.attrs.via} is not reachable: no address here or in the file covers it`, hint: 'add an address on the gateway\'s subnet, or set onlink: true with dev', source: r.source });
  }
  return out;
}
