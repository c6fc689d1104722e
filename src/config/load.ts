// config: YAML text → DesiredState, with every error tied to file:line:col and a hint.
// Pure: the caller reads the file and the host facts.
import { z } from 'zod';
import type { Diagnostic, DesiredState, LiveState, Resource, SourceRef } from '../model.js';
import { NETHOST_ALIAS_EXISTING } from '../model.js';
import { kindOf, LINK_KINDS, SECTION_KINDS } from '../registry/kinds.js';
import type { HostFacts, LinkKind } from '../kinds/types.js';
import { linkId } from '../model.js';
import { addressResource, coveredPrefix, localIp, splitAddressEntry, addressKey, type AddressEntry } from '../kinds/address.js';
import { ifname } from '../kinds/fields.js';
import { kernelRouteConflict } from '../kinds/route.js';
import { coverageIndex } from '../util/net.js';
import { findCycle } from '../plan/graph.js';
import { describe } from '../render/describe.js';
import { parseYaml, type Path } from './yaml.js';
import { describeValue, quote } from '../util/text.js';
import { suggest, zodDiagnostics } from './issues.js';

/** The largest file nethost reads: a host with tens of thousands of objects needs a few MiB. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
export const tooLarge = (size: string) => `is ${size}: nethost reads files of at most 16 MiB (${MAX_FILE_BYTES} bytes)`;

const TOP_KEYS = ['version', 'interfaces', ...SECTION_KINDS.map((k) => k.section)];

export interface LoadResult {
  desired?: DesiredState;
  diagnostics: Diagnostic[];
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
    const nameCheck = (LINK_KINDS.find((k) => k.configKind === entry?.kind)?.nameSchema ?? ifname).safeParse(name);
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
  // `ports` is a list, or (ovs-bridge) a map of name → port settings. Kinds with portResources (Open
  // vSwitch) are not kernel masters: their ports get no `master`.
  const masterOf = new Map<string, string>();
  const portOf = new Map<string, string>();
  for (const [name, { kind, entry }] of valid) {
    const list = Array.isArray(entry.ports);
    (list ? entry.ports : Object.keys(entry.ports ?? {})).forEach((port: string, i: number) => {
      const where = { path: ['interfaces', name, 'ports', list ? i : port], source: list ? at(['interfaces', name, 'ports', i]) : at(['interfaces', name, 'ports', port], true) };
      if (port === name) diagnostics.push({ severity: 'error', message: `${name} lists itself as a port`, hint: 'remove it from ports', ...where });
      else if (!(port in ifaces)) diagnostics.push({ severity: 'error', message: `port "${port}" of ${name} is not declared`, hint: `declare it under interfaces (kind: ethernet for an existing device)`, ...where });
      else if (portOf.has(port)) diagnostics.push({ severity: 'error', message: `"${port}" is a port of both ${portOf.get(port)} and ${name}`, hint: 'a link has one master: list it under one of them', ...where });
      else (portOf.set(port, name), kind.portResources || masterOf.set(port, name));
    });
  }

  const seenIps = new Map<string, string>();
  const addressOfIp = new Map<string, string>(); // local IP → address id, for tunnels' `local`
  for (const [name, { kind, entry }] of valid) {
    const r = kind.fromConfig(name, entry, facts);
    for (const d of r.diagnostics ?? []) diagnostics.push({ ...d, source: d.source ?? (d.path ? at(d.path) : undefined) });
    const deps = [...r.deps];
    const master = masterOf.get(name);
    if (master) deps.push({ id: linkId(master), via: 'master', mode: 'attach' });
    const keys: string[] = [];
    // `addresses:` absent: the link's addresses are not managed (see the address kind's `manages`).
    add({ id: kind.idOf?.(name) ?? linkId(name), kind: kind.name, attrs: { ...r.attrs, master: master ?? null, addresses: entry.addresses === undefined ? undefined : keys }, owned: true, deps, source: at(['interfaces', name], true) });
    (entry.addresses ?? []).forEach((e: AddressEntry, i: number) => {
      const { address, peer } = splitAddressEntry(e);
      const a = addressResource(name, address, peer)!;
      const ip = localIp(a);
      const where = { path: ['interfaces', name, 'addresses', i], source: at(['interfaces', name, 'addresses', i]) };
      if (seenIps.has(ip)) {
        diagnostics.push({ severity: 'error', message: `address ${ip} is listed twice (also on ${seenIps.get(ip)})`, hint: 'an address belongs on one link once', ...where });
        return;
      }
      seenIps.set(ip, name);
      addressOfIp.set(ip, a.id);
      keys.push(addressKey(String(a.attrs.address), a.attrs.peer as string | null));
      add({ ...a, source: where.source });
    });
  }

  // Resources a kind makes from the whole file (an ovs-bridge's ports need their members' kinds).
  for (const [name, { kind, entry }] of valid) {
    const r = kind.portResources?.(name, entry, valid);
    for (const d of r?.diagnostics ?? []) diagnostics.push({ ...d, source: d.source ?? (d.path ? at(d.path, typeof d.path[d.path.length - 1] === 'string' && d.path[2] === 'ports') ?? at(d.path) : undefined) });
    for (const x of r?.resources ?? []) add({ ...x, source: x.source ?? at(['interfaces', name], true) });
  }

  // A tunnel's (or vxlan's) `local` must exist before the tunnel comes up (a multicast GRE refuses to
  // open without it): it goes after the address that holds it, wherever the file declares that.
  for (const [name, { kind }] of valid) {
    const me = resources.get(kind.idOf?.(name) ?? linkId(name))!;
    const local = typeof me.attrs.local === 'string' ? addressOfIp.get(me.attrs.local) : undefined;
    if (local && !local.startsWith(`address:${name}:`)) me.deps.push({ id: local, via: 'local', mode: 'order' });
  }

  // Sections (routes need addresses, rules need routes)
  const entries = new Map([...valid].map(([name, v]) => [name, v.entry]));
  for (const kind of SECTION_KINDS) {
    const section = data[kind.section];
    if (section === undefined && !kind.readsInterfaces) continue;
    const parsed = section === undefined ? { success: true as const, data: undefined } : kind.schema.safeParse(section);
    if (!parsed.success) {
      const entryShape = 'element' in kind.schema ? shapeKeys((kind.schema as z.ZodArray<z.ZodObject>).element) : shapeKeys(kind.schema);
      diagnostics.push(...zodDiagnostics(parsed.error, kind.schema, section, [kind.section], entryShape, at));
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

  // Ports join their master in the file's order (the kernel numbers bridge ports as they join, which STP
  // uses to break ties; a bond's first port becomes the active one where primary is unset): each port
  // waits for the one listed before it, unless that one already waits for it.
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>([from]);
    const stack = [from];
    while (stack.length) {
      for (const d of resources.get(stack.pop()!)?.deps ?? []) {
        if (d.id === to) return true;
        if (!seen.has(d.id)) seen.add(d.id), stack.push(d.id);
      }
    }
    return false;
  };
  // Nothing can reach a resource nothing depends on: the search runs only for those (without this,
  // each port searched back through the whole chain of ports before it, quadratic in a bridge's ports).
  const dependedOn = new Set<string>();
  for (const r of resources.values()) for (const d of r.deps) dependedOn.add(d.id);
  for (const [, { entry }] of valid) {
    const ports: string[] = entry.ports ?? [];
    for (let i = 1; i < ports.length; i++) {
      const [prev, cur] = [linkId(ports[i - 1]), linkId(ports[i])];
      if (masterOf.get(ports[i]) !== masterOf.get(ports[i - 1]) || !resources.has(prev) || !resources.has(cur) || (dependedOn.has(cur) && reaches(prev, cur))) continue;
      resources.get(cur)!.deps.push({ id: prev, via: 'port order', mode: 'order' });
      dependedOn.add(prev);
    }
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
  for (const r of desired.resources.values()) {
    if (r.kind !== 'route') continue;
    const conflict = kernelRouteConflict(r, live.resources.get(r.id));
    if (conflict)
      out.push({ severity: 'error', message: `${describe(r)}: ${conflict}, and ip route replace would take it over`, hint: `give it another metric (e.g. metric: ${Number(r.attrs.metric) + 10}), or leave it out: the kernel keeps that route with its address`, source: r.source });
  }
  const have = [...live.addresses, ...[...desired.resources.values()].filter((r) => r.kind === 'address').map(coveredPrefix)];
  const covering = coverageIndex(have.map((cidr) => ({ cidr, value: true })));
  for (const r of desired.resources.values()) {
    if (r.kind !== 'route' || !r.attrs.via || r.attrs.onlink) continue;
    if (!covering(String(r.attrs.via)).length)
      out.push({ severity: 'error', message: `gateway ${r.attrs.via} is not reachable: no address here or in the file covers it`, hint: 'add an address on the gateway\'s subnet, or set onlink: true with dev', source: r.source });
  }
  return out;
}
