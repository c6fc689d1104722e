// What every link kind shares: the common attributes (mtu, mac, state, master), ownership through the
// ifalias, and the shape of the create / update / delete operations. A link kind only says what is
// its own: how to recognise it in `ip -j -d link`, its attributes, and how to create it.
import { z } from 'zod';
import type { AttrChange, Attrs, Dependency, Diagnostic, LiveState, Resource } from '../../model.js';
import { isNethostAlias, linkId, NETHOST_ALIAS, NETHOST_ALIAS_EXISTING } from '../../model.js';
import type { RawLink } from '../../backends/ip/raw.js';
import type { HostFacts, LinkKind, OpContext, OpSpec } from '../types.js';
import { canonicalMac } from '../../util/net.js';
import { existingMark, parseLinkMark } from './mark.js';
import { commonLinkFields } from './schema.js';
import { RANK } from '../ranks.js';

/** `keep` and `was` are part of the ifalias on an existing device (see parseLinkMark): written with the mark. */
export const COMMON_ATTRS = ['mark', 'keep', 'was', 'mtu', 'mac', 'state', 'master'] as const;

/** Local addresses of `dev` that are not nethost's, in the live state: what an adopted device keeps. */
const foreignAddressesMemo = new WeakMap<LiveState, Map<string, string[]>>();
function foreignAddresses(dev: string, live: LiveState | undefined): string[] | 'all' {
  if (!live) return 'all'; // planned without the live state: what the device has is unknown, so all of it stays
  let byDev = foreignAddressesMemo.get(live);
  if (!byDev) {
    byDev = new Map();
    for (const r of live.resources.values()) {
      if (r.kind !== 'address' || r.owned) continue;
      const d = String(r.attrs.dev);
      const ip = String(r.attrs.address).slice(0, String(r.attrs.address).lastIndexOf('/'));
      const list = byDev.get(d);
      if (!list) byDev.set(d, [ip]);
      else if (!list.includes(ip)) list.push(ip);
    }
    foreignAddressesMemo.set(live, byDev);
  }
  return byDev.get(dev) ?? [];
}

export interface LinkSpec {
  configKind: string;
  rank?: number;
  /** Kind-specific fields of the file entry. */
  fields: Record<string, z.ZodType>;
  matches(raw: RawLink): boolean;
  immutable: readonly string[];
  /** Kind-specific attributes from the file, with the kernel's defaults filled in where they are known. */
  attrs(entry: any, name: string, facts: HostFacts): { attrs: Attrs; deps?: Dependency[]; diagnostics?: Diagnostic[] };
  /** Kind-specific attributes from `ip -j -d link`. */
  liveAttrs(raw: RawLink, facts: HostFacts): Attrs;
  /** The `ip` argv that creates it (alias, mtu and mac are appended for `ip link add`). */
  createArgs?(name: string, attrs: Attrs): string[];
  /** Kinds not created with `ip link add` (tuntap) give the whole command. */
  createCommand?(name: string, attrs: Attrs): string[];
  /** `ip link set dev NAME type KIND …` arguments for mutable kind attributes. */
  changeArgs?(changes: Record<string, unknown>, attrs: Attrs): string[];
  creatable?: boolean;
  /** Deleting this link also deletes another (a veth and its peer). */
  alsoDeletes?(r: Resource): string[];
  replaceWhen?(name: string, before: unknown, after: unknown): boolean;
  /** Attributes whose change interrupts traffic (besides the MAC). */
  disruptive?: readonly string[];
  /** A change of `mode` the kernel only accepts with the ports released and the link down (bonds). */
  modeChange?(name: string, desired: Resource, ctx: OpContext): OpSpec[] | undefined;
  /** The link is created by another resource's operation (the second end of a veth pair). */
  createdBy?(r: Resource): string | undefined;
  checkFile?: LinkKind['checkFile'];
  describe?: LinkKind['describe'];
  sample?: LinkKind['sample'];
  mtuFollowsPorts?: boolean;
  portsJoinDown?: boolean;
}

function liveCommon(raw: RawLink): Attrs {
  const { mark, keep, was } = parseLinkMark(raw.ifalias);
  return {
    mtu: raw.mtu,
    mac: raw.address ? (canonicalMac(raw.address) ?? raw.address) : undefined,
    state: raw.flags.includes('UP') ? 'up' : 'down',
    master: raw.master ?? null,
    mark,
    keep,
    was: was ?? null,
  };
}

/** What a live link hangs on, so deletions run dependents first. */
function liveDeps(l: RawLink): Dependency[] {
  const deps: Dependency[] = [];
  if (l.master) deps.push({ id: linkId(l.master), via: 'master', mode: 'attach' });
  const lower = l.linkinfo?.info_data?.link ?? (l.linkinfo?.info_kind !== 'veth' ? l.link : undefined);
  if (typeof lower === 'string' && lower !== l.ifname) deps.push({ id: linkId(lower), via: 'link', mode: 'recreate' });
  return deps;
}

function setArgs(name: string, a: Attrs): string[] {
  const args = ['link', 'set', 'dev', name];
  if (a.mark !== undefined) args.push('alias', a.mark === null ? '' : String(a.mark));
  if (a.mtu !== undefined) args.push('mtu', String(a.mtu));
  if (a.mac !== undefined) args.push('address', String(a.mac));
  if (a.master !== undefined) a.master === null ? args.push('nomaster') : args.push('master', String(a.master));
  if (a.state !== undefined) args.push(String(a.state));
  return args;
}

export function defineLinkKind(spec: LinkSpec): LinkKind {
  const creatable = spec.creatable ?? true;
  // A master's MTU follows its ports unless a `link set` changed it (the kernel then keeps the user's value).
  const isMaster = 'ports' in spec.fields;
  // The fields section kinds add to every interface (`guard`) go after the common ones.
  const schemaWith = (extra: Record<string, z.ZodType>) =>
    z.object({ kind: z.literal(spec.configKind), ...commonLinkFields, ...extra, ...spec.fields }).strict();
  const lateMtu = (name: string, mtu: unknown): OpSpec => ({
    backend: 'ip',
    args: ['link', 'set', 'dev', name, 'mtu', String(mtu)],
    disruptive: false,
    phase: 'late',
  });
  return {
    name: spec.configKind,
    configKind: spec.configKind,
    rank: spec.rank ?? RANK.links,
    creatable,
    immutable: spec.immutable,
    disruptive: ['mac', ...(spec.disruptive ?? [])],
    replaceWhen: spec.replaceWhen,
    checkFile: spec.checkFile,
    describe: spec.describe,
    sample: spec.sample,
    mtuFollowsPorts: spec.mtuFollowsPorts,
    portsJoinDown: spec.portsJoinDown,
    schema: schemaWith({}),
    takeInterfaceFields(extra) {
      this.schema = schemaWith(extra);
    },
    matches: spec.matches,
    fromConfig(name, entry, facts) {
      const own = spec.attrs(entry, name, facts);
      const attrs: Attrs = {
        mark: creatable ? NETHOST_ALIAS : NETHOST_ALIAS_EXISTING,
        mtu: entry.mtu,
        mac: entry.mac === undefined ? undefined : canonicalMac(entry.mac),
        state: entry.state ?? 'up',
        ...own.attrs,
      };
      // The file's order of ports, which the plan keeps when enslaving them (never compared: the kernel
      // numbers ports as they join, and a later order is not worth re-enslaving for).
      if (isMaster && entry.ports?.length) attrs.ports = [...entry.ports];
      return { attrs, deps: [...(own.deps ?? [])], diagnostics: own.diagnostics };
    },
    fromLive(raw, facts) {
      const out: Resource[] = [];
      for (const l of raw.links) {
        if (!spec.matches(l)) continue;
        out.push({
          id: linkId(l.ifname),
          kind: spec.configKind,
          attrs: { ...liveCommon(l), ...spec.liveAttrs(l, facts) },
          owned: isNethostAlias(l.ifalias),
          deps: liveDeps(l),
        });
      }
      return out;
    },
    create(r, ctx) {
      const name = r.id.slice('link:'.length);
      const ops: OpSpec[] = [];
      const a = r.attrs;
      const createdBy = spec.createdBy?.(r);
      const onCreate: Attrs = {
        mark: a.mark,
        mtu: a.mtu,
        mac: a.mac,
        master: a.master ?? undefined,
        state: a.state === 'up' ? 'up' : undefined,
      };
      if (a.master && enslavesDown(String(a.master), ctx)) {
        // Bonds take ports that are down: create, mark and enslave it down, then bring it up.
        onCreate.state = undefined;
      }
      const joins = a.master ? bridgeMtuAfterJoin(name, String(a.master), ctx) : [];
      if (createdBy) {
        // Made by its peer's command: only mark and configure it.
        ops.push({ backend: 'ip', args: setArgs(name, onCreate), disruptive: false });
        return [...ops, ...joins];
      }
      if (spec.createCommand) {
        ops.push({ backend: 'ip', args: spec.createCommand(name, a), disruptive: false });
        ops.push({ backend: 'ip', args: setArgs(name, onCreate), disruptive: false });
        if (a.state === 'up' && onCreate.state === undefined)
          ops.push({ backend: 'ip', args: ['link', 'set', 'dev', name, 'up'], disruptive: false });
        return [...ops, ...joins];
      }
      // The kernel ignores IFLA_IFALIAS on creation: the mark goes on with the following `link set`.
      // MTU too: a bridge only keeps an MTU that a `link set` changed (it then stops following its
      // ports: a port leaving later does not move it). Set before the ports join, while it differs
      // from the default, and again once they have (a no-op unless a port pulled it, as at 1500).
      const add = ['link', 'add', 'name', name];
      if (a.mac !== undefined) add.push('address', String(a.mac));
      add.push(...spec.createArgs!(name, a));
      ops.push({ backend: 'ip', args: add, disruptive: false });
      // The mark alone first: it cannot fail, so a link nethost made is never left unmarked by a
      // refusal of what follows (an MTU, a master).
      ops.push({ backend: 'ip', args: setArgs(name, { mark: onCreate.mark }), disruptive: false });
      const rest = setArgs(name, { ...onCreate, mark: undefined, mac: undefined });
      if (rest.length > 4) ops.push({ backend: 'ip', args: rest, disruptive: false });
      if (a.state === 'up' && onCreate.state === undefined)
        ops.push({ backend: 'ip', args: ['link', 'set', 'dev', name, 'up'], disruptive: false });
      if (isMaster && onCreate.mtu !== undefined) ops.push(lateMtu(name, onCreate.mtu));
      return [...ops, ...joins];
    },
    update(desired, live, changes: AttrChange[], ctx) {
      const name = desired.id.slice('link:'.length);
      const common: Attrs = {};
      const own: Record<string, unknown> = {};
      for (const c of changes) {
        if ((COMMON_ATTRS as readonly string[]).includes(c.name)) common[c.name] = c.after;
        else own[c.name] = c.after;
      }
      if (common.mark !== undefined || common.keep !== undefined || common.was !== undefined) {
        // Adopting an existing device records what it has now: its addresses and its own alias (a
        // snapshot being restored says both itself).
        const mark = desired.attrs.mark;
        const keep = desired.attrs.keep;
        const was =
          desired.attrs.was !== undefined
            ? desired.attrs.was
            : live && !isNethostAlias(live.attrs.mark as string | undefined)
              ? live.attrs.mark
              : live?.attrs.was;
        common.mark =
          mark === NETHOST_ALIAS_EXISTING
            ? existingMark(
                Array.isArray(keep) ? (keep as string[]) : keep === 'all' ? 'all' : foreignAddresses(name, ctx.live),
                (was as string | null | undefined) ?? null,
              )
            : mark;
        delete common.keep;
        delete common.was;
      }
      const ops: OpSpec[] = [];
      const downFirst = common.state === 'down';
      if ('mode' in own && spec.modeChange) {
        const special = spec.modeChange(name, desired, ctx);
        if (special) {
          ops.push(...special);
          delete own.mode;
        }
      }
      const downForMaster = !!common.master && enslavesDown(String(common.master), ctx);
      if (downForMaster) {
        // The bonding driver refuses ports that are up ("Device can not be enslaved while up").
        ops.push(portDown(name));
        delete common.state;
      }
      if (Object.keys(own).length && spec.changeArgs) {
        ops.push({
          backend: 'ip',
          args: ['link', 'set', 'dev', name, ...spec.changeArgs(own, desired.attrs)],
          disruptive: false,
        });
      }
      if (isMaster && common.mtu !== undefined) {
        ops.push(lateMtu(name, common.mtu));
        delete common.mtu;
      }
      if (Object.keys(common).length) {
        const op = {
          backend: 'ip' as const,
          args: setArgs(name, common),
          disruptive: downFirst || common.mac !== undefined,
        };
        downFirst ? ops.unshift(op) : ops.push(op);
        if (downForMaster && desired.attrs.state === 'up')
          ops.push({ backend: 'ip', args: ['link', 'set', 'dev', name, 'up'], disruptive: false });
      }
      if (typeof common.master === 'string') ops.push(...bridgeMtuAfterJoin(name, common.master, ctx));
      void live;
      return ops;
    },
    delete(live, ctx) {
      const name = live.id.slice('link:'.length);
      if (!creatable || live.attrs.mark === NETHOST_ALIAS_EXISTING) {
        // Never delete a device nethost did not create: only take its mark off, giving back its own alias.
        return [
          {
            backend: 'ip',
            args: ['link', 'set', 'dev', name, 'alias', typeof live.attrs.was === 'string' ? live.attrs.was : ''],
            disruptive: false,
          },
        ];
      }
      // The peer of a veth pair goes with it: one delete is enough.
      for (const other of spec.alsoDeletes?.(live) ?? []) {
        if (ctx.deleting.has(linkId(other)) && other < name) return [];
      }
      return [{ backend: 'ip', args: ['link', 'del', 'dev', name], disruptive: true }];
    },
  };
}

/**
 * A port joining a bridge lowers the bridge's MTU to its own unless a `link set` fixed it (a bridge
 * nethost made without an MTU, or adopted, follows its ports). When the file sets the MTU of an
 * existing bridge that already has it, nothing else would write it again: the first port (by name)
 * joining that bridge in this plan sets it once more at the end. (A bridge being created, or whose
 * MTU changes, does that itself.) Only a port whose MTU is below the bridge's, or not known before
 * it exists, can lower it; a port at or above it leaves the MTU alone (and a pinned bridge is not
 * written for nothing).
 */
const joiningMemo = new WeakMap<OpContext['desired'], Map<string, string>>();
function bridgeMtuAfterJoin(port: string, master: string, ctx: OpContext): OpSpec[] {
  const m = ctx.desired?.resources.get(linkId(master));
  const live = ctx.live?.resources.get(linkId(master));
  if (
    !m ||
    !(ctx.kindOf(m.kind) as LinkKind).mtuFollowsPorts ||
    m.attrs.mtu === undefined ||
    !live ||
    live.attrs.mtu !== m.attrs.mtu
  )
    return [];
  let first = joiningMemo.get(ctx.desired);
  if (!first) {
    first = new Map();
    for (const r of ctx.desired.resources.values()) {
      const to = r.attrs.master;
      if (typeof to !== 'string' || !r.id.startsWith('link:') || ctx.live.resources.get(r.id)?.attrs.master === to)
        continue;
      const bridgeMtu = ctx.desired.resources.get(linkId(to))?.attrs.mtu;
      const portMtu = r.attrs.mtu ?? ctx.live.resources.get(r.id)?.attrs.mtu;
      if (typeof portMtu === 'number' && typeof bridgeMtu === 'number' && portMtu >= bridgeMtu) continue;
      const n = linkName(r.id);
      const was = first.get(to);
      if (was === undefined || n < was) first.set(to, n);
    }
    joiningMemo.set(ctx.desired, first);
  }
  if (first.get(master) !== port) return [];
  return [
    {
      backend: 'ip',
      args: ['link', 'set', 'dev', master, 'mtu', String(m.attrs.mtu)],
      disruptive: false,
      phase: 'late',
    },
  ];
}

/** Masters whose kernel driver wants a port down while it is enslaved (bonding). */
function enslavesDown(master: string, ctx: OpContext): boolean {
  const m = ctx.desired?.resources.get(linkId(master));
  return !!m && !!(ctx.kindOf(m.kind) as LinkKind).portsJoinDown;
}
const portDown = (name: string): OpSpec => ({
  backend: 'ip',
  args: ['link', 'set', 'dev', name, 'down'],
  disruptive: true,
});

/** Name of a link from its id. */
export const linkName = (id: string) => id.slice('link:'.length);
