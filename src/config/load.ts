// config: YAML text → DesiredState, with every error tied to file:line:col and a hint.
// Pure: the caller reads the file and the host facts.
import type { z } from 'zod';
import type { Diagnostic, DesiredState, LiveState, Resource } from '../model.js';
import { NETHOST_ALIAS_EXISTING } from '../model.js';
import { kindOf, LINK_KINDS, SECTION_KINDS } from '../registry/kinds.js';
import type { FileContext, HostFacts, LinkKind } from '../kinds/types.js';
import { ORDER_RULES } from '../plan/order/rules.js';
import { linkId } from '../model.js';
import { addressResource, localIp, splitAddressEntry, addressKey, type AddressEntry } from '../kinds/address.js';
import { ifname } from '../kinds/fields.js';
import { findCycle } from '../plan/graph.js';
import { describe } from '../render/describe.js';
import { parseYaml } from './yaml.js';
import { describeValue, quote } from '../util/text.js';
import { suggest, zodDiagnostics } from './issues.js';

/** The largest file nethost reads: a host with tens of thousands of objects needs a few MiB. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
export const tooLarge = (size: string) => `is ${size}: nethost reads files of at most 16 MiB (${MAX_FILE_BYTES} bytes)`;

/** The kind of an existing device (the one kind never created): what a hint tells to write. */
const EXISTING_KIND = LINK_KINDS.find((k) => k.creatable === false)!.configKind;

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
    return {
      diagnostics: [
        {
          severity: 'error',
          message,
          hint: "a host's network file is far smaller: is this the right file?",
          source: { file, line: 1, col: 1 },
        },
      ],
    };
  }
  const parsed = parseYaml(text, file);
  if (!parsed.ok) {
    return {
      diagnostics: [
        {
          severity: 'error',
          message: `YAML: ${parsed.error.message}`,
          hint: parsed.error.hint ?? 'check indentation and quoting at this spot',
          source: parsed.error.source,
        },
      ],
    };
  }
  const diagnostics: Diagnostic[] = [];
  const at = parsed.at;
  const data = parsed.data as any;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      diagnostics: [
        {
          severity: 'error',
          message: 'the file must be a mapping with "version: 1" at the top',
          hint: 'start the file with: version: 1',
          source: { file, line: 1, col: 1 },
        },
      ],
    };
  }

  // Top level
  for (const k of Object.keys(data)) {
    if (!TOP_KEYS.includes(k)) {
      const s = suggest(k, TOP_KEYS);
      diagnostics.push({
        severity: 'error',
        message: `unknown top-level key ${quote(k)}`,
        hint: s ? `did you mean "${s}"?` : `allowed: ${TOP_KEYS.join(', ')}`,
        path: [k],
        source: at([k], true),
      });
    }
  }
  if (data.version !== 1) {
    diagnostics.push({
      severity: 'error',
      message:
        data.version === undefined
          ? 'missing "version"'
          : typeof data.version === 'number'
            ? `unsupported version ${data.version}`
            : `version must be the number 1, not ${describeValue(data.version)}`,
      hint: 'write version: 1',
      path: ['version'],
      source: at(['version']) ?? { file, line: 1, col: 1 },
    });
  }

  const resources = new Map<string, Resource>();
  const add = (r: Resource) => resources.set(r.id, r);

  // Interfaces
  const ifaces: Record<string, any> = data.interfaces ?? {};
  if (typeof ifaces !== 'object' || Array.isArray(ifaces)) {
    diagnostics.push({
      severity: 'error',
      message: '"interfaces" must be a mapping keyed by interface name',
      hint: 'write interfaces:\n  br0: {kind: bridge}',
      source: at(['interfaces']),
    });
    return { diagnostics };
  }
  const kindNames = LINK_KINDS.map((k) => k.configKind);
  const valid = new Map<string, { kind: LinkKind; entry: any }>();
  for (const [name, entry] of Object.entries(ifaces)) {
    const nameCheck = (LINK_KINDS.find((k) => k.configKind === entry?.kind)?.nameSchema ?? ifname).safeParse(name);
    if (!nameCheck.success) {
      const [problem, hint] = nameCheck.error.issues[0].message.split('; ');
      diagnostics.push({
        severity: 'error',
        message: `interface name ${quote(name)}: ${problem}`,
        hint,
        path: ['interfaces', name],
        source: at(['interfaces', name], true),
      });
      continue;
    }
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      diagnostics.push({
        severity: 'error',
        message: `interface "${name}" must be a mapping with a kind`,
        hint: `write ${name}: {kind: bridge}`,
        path: ['interfaces', name],
        source: at(['interfaces', name]),
      });
      continue;
    }
    const kind = LINK_KINDS.find((k) => k.configKind === entry.kind);
    if (entry.kind !== undefined && typeof entry.kind !== 'string') {
      diagnostics.push({
        severity: 'error',
        message: `kind of interface "${name}" must be text, not ${describeValue(entry.kind)}`,
        hint: `write one of: ${kindNames.join(', ')}`,
        path: ['interfaces', name, 'kind'],
        source: at(['interfaces', name, 'kind']) ?? at(['interfaces', name]),
      });
      continue;
    }
    if (!kind) {
      const s = typeof entry.kind === 'string' ? suggest(entry.kind, kindNames) : undefined;
      diagnostics.push({
        severity: 'error',
        message:
          entry.kind === undefined
            ? `interface "${name}" has no kind`
            : `unknown kind ${quote(entry.kind)} for interface "${name}"`,
        hint: s ? `did you mean "${s}"?` : `write one of: ${kindNames.join(', ')}`,
        path: ['interfaces', name, 'kind'],
        source: at(['interfaces', name, 'kind']) ?? at(['interfaces', name]),
      });
      continue;
    }
    const parsed = kind.schema.safeParse(entry);
    if (!parsed.success) {
      diagnostics.push(
        ...zodDiagnostics(parsed.error, kind.schema, entry, ['interfaces', name], shapeKeys(kind.schema), at),
      );
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
      const where = {
        path: ['interfaces', name, 'ports', list ? i : port],
        source: list ? at(['interfaces', name, 'ports', i]) : at(['interfaces', name, 'ports', port], true),
      };
      if (port === name)
        diagnostics.push({
          severity: 'error',
          message: `${name} lists itself as a port`,
          hint: 'remove it from ports',
          ...where,
        });
      else if (!(port in ifaces))
        diagnostics.push({
          severity: 'error',
          message: `port "${port}" of ${name} is not declared`,
          hint: `declare it under interfaces (kind: ethernet for an existing device)`,
          ...where,
        });
      else if (portOf.has(port))
        diagnostics.push({
          severity: 'error',
          message: `"${port}" is a port of both ${portOf.get(port)} and ${name}`,
          hint: 'a link has one master: list it under one of them',
          ...where,
        });
      else portOf.set(port, name), kind.portResources || masterOf.set(port, name);
    });
  }

  const seenIps = new Map<string, string>();
  const addressOfIp = new Map<string, string>(); // local IP → address id, for tunnels' `local`
  for (const [name, { kind, entry }] of valid) {
    const r = kind.fromConfig(name, entry, facts);
    for (const d of r.diagnostics ?? [])
      diagnostics.push({ ...d, source: d.source ?? (d.path ? at(d.path) : undefined) });
    const deps = [...r.deps];
    const master = masterOf.get(name);
    const keys: string[] = [];
    // `addresses:` absent: the link's addresses are not managed (see the address kind's `manages`).
    add({
      id: kind.idOf?.(name) ?? linkId(name),
      kind: kind.name,
      attrs: { ...r.attrs, master: master ?? null, addresses: entry.addresses === undefined ? undefined : keys },
      owned: true,
      deps,
      source: at(['interfaces', name], true),
    });
    (entry.addresses ?? []).forEach((e: AddressEntry, i: number) => {
      const { address, peer } = splitAddressEntry(e);
      const a = addressResource(name, address, peer)!;
      const ip = localIp(a);
      const where = { path: ['interfaces', name, 'addresses', i], source: at(['interfaces', name, 'addresses', i]) };
      if (seenIps.has(ip)) {
        diagnostics.push({
          severity: 'error',
          message: `address ${ip} is listed twice (also on ${seenIps.get(ip)})`,
          hint: 'an address belongs on one link once',
          ...where,
        });
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
    for (const d of r?.diagnostics ?? [])
      diagnostics.push({
        ...d,
        source:
          d.source ??
          (d.path
            ? (at(d.path, typeof d.path[d.path.length - 1] === 'string' && d.path[2] === 'ports') ?? at(d.path))
            : undefined),
      });
    for (const x of r?.resources ?? []) add({ ...x, source: x.source ?? at(['interfaces', name], true) });
  }

  // Edges that come from how entries relate, one named rule each (plan/order/rules.ts).
  const idOf = (name: string) => valid.get(name)?.kind.idOf?.(name) ?? linkId(name);
  const interfaceFields = SECTION_KINDS.flatMap((k) =>
    Object.keys(k.interfaceFields?.fields ?? {}).map((field) => ({ field, after: k.interfaceFields!.orderedAfter })),
  );
  for (const rule of ORDER_RULES)
    rule.apply({ resources, interfaces: valid, masterOf, addressOfIp, interfaceFields, idOf });

  // Sections (routes need addresses, rules need routes)
  const entries = new Map([...valid].map(([name, v]) => [name, v.entry]));
  for (const kind of SECTION_KINDS) {
    const section = data[kind.section];
    if (section === undefined && !kind.interfaceFields) continue;
    const parsed = section === undefined ? { success: true as const, data: undefined } : kind.schema.safeParse(section);
    if (!parsed.success) {
      const entryShape =
        'element' in kind.schema ? shapeKeys((kind.schema as z.ZodArray<z.ZodObject>).element) : shapeKeys(kind.schema);
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
      const field = kindOf(r.kind).referenceField ?? d.via;
      diagnostics.push({
        severity: 'error',
        message: `${describe(r)} refers to link "${target}" (${field}), which the file does not declare`,
        hint: `declare ${target} under interfaces (kind: ethernet for an existing device)`,
        source: r.source,
      });
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

  // What each kind checks against the rest of the file (a veth's peer, a passthru macvlan alone on
  // its lower device, a gateway an address of the file must cover).
  const whole: FileContext = { file, resources, interfaces: valid, at };
  for (const r of [...resources.values()]) {
    const check = kindOf(r.kind).checkFile;
    if (check) diagnostics.push(...check(r, whole));
  }

  // Dependency cycles (a bridge that is a port of its own port, a vxlan over its own bridge …)
  const cycle = findCycle(
    [...resources.values()].map((r) => ({
      id: r.id,
      after: r.deps.filter((d) => resources.has(d.id)).map((d) => d.id),
    })),
  );
  if (cycle) {
    const first = resources.get(cycle[0]);
    diagnostics.push({
      severity: 'error',
      message: `dependency cycle: ${cycle.map((id) => id.replace(/^link:/, '')).join(' → ')}`,
      hint: 'break the loop: a link cannot sit under itself',
      source: first?.source,
    });
  }

  diagnostics.sort(
    (a, b) => (a.source?.line ?? 0) - (b.source?.line ?? 0) || (a.source?.col ?? 0) - (b.source?.col ?? 0),
  );
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { desired: { file, resources }, diagnostics };
}

/** Checks only the live state can answer: a device the file says exists, a name taken by another
 *  kind, and each kind's own (checkLive). */
export function checkAgainstLive(desired: DesiredState, live: LiveState): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of desired.resources.values()) {
    if (!r.id.startsWith('link:')) continue;
    const name = r.id.slice(5);
    const l = live.resources.get(r.id);
    // A kind that is never created names a device that must already be here, whatever its kind.
    const existing = kindOf(r.kind).creatable === false;
    if (existing && !l) {
      out.push({
        severity: 'error',
        message: `${r.kind} device "${name}" does not exist here`,
        hint: `nethost never creates an ${r.kind} device: check the name (ip link), or use another kind to create one`,
        source: r.source,
      });
    } else if (l && (!l.owned || l.attrs.mark === NETHOST_ALIAS_EXISTING) && !existing && l.kind !== r.kind) {
      out.push({
        severity: 'error',
        message: `"${name}" exists as a ${l.kind} that nethost did not create, but the file says ${r.kind}`,
        hint: `write kind: ${EXISTING_KIND} to manage it as it is, or choose another name`,
        source: r.source,
      });
    }
  }
  for (const r of desired.resources.values()) out.push(...(kindOf(r.kind).checkLive?.(r, desired, live) ?? []));
  // In the file's line order, as the file's own checks are (the kinds' come in registry order).
  return out.sort(
    (a, b) => (a.source?.line ?? 0) - (b.source?.line ?? 0) || (a.source?.col ?? 0) - (b.source?.col ?? 0),
  );
}
