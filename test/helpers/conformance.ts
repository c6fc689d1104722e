// The conformance test of one registered kind, driven by its sample (KindSample): in a fresh namespace,
// through the CLI (bin/run.js), (a) create, (b) no-op, (c) update in place, (d) a failed apply rolled
// back, (e) delete. Whether the kind's object is there is read with the tools themselves (ip -j,
// sysctl, nft, OVSDB), never through nethost: one small checker per kind family, keyed by the kind's
// name (CHECKERS). Used by test/integration/conformance.test.ts (host) and test/lab/conformance.lab.test.ts.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ResourceKind } from '../../src/kinds/types.js';
import { ipJson, links, newNetns, nethost, provideEthernets, tempFile } from './netns.js';
import { startOvs, stopOvs, type Ovs } from './ovs.js';
import { kernelState } from './state.js';
import { networkState } from './compare.js';
import { whyUnavailable } from './needs.js';

export interface Target {
  ns: string;
  ovs?: Ovs;
}
type Doc = any;

export interface Checker {
  /** Asserts that the file `doc`'s objects of this kind are in the namespace as it says them. */
  present(t: Target, doc: Doc): void;
  /** Asserts that they are gone once an empty file is applied (`doc`: the file applied before):
   *  deleted, or, what nethost never deletes, released or left as it was. */
  gone(t: Target, doc: Doc): void;
  /** The actions the sample's change shows for this kind (default: update). */
  changeActions?: string[];
}

// ---- reading the namespace with the tools ----

const entries = (doc: Doc, kind: string): [string, any][] =>
  Object.entries<any>(doc.interfaces ?? {}).filter(([, e]) => e.kind === kind);
const up = (l: any) => (l.flags.includes('UP') ? 'up' : 'down');
const num = (v: unknown) =>
  typeof v === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(v)
    ? v.split('.').reduce((a, x) => a * 256 + Number(x), 0)
    : Number(v);
const row = (ovs: Ovs | undefined, table: string, name: string) => {
  if (!ovs) throw new Error(`${table} ${name}: no Open vSwitch was started for this sample (its needs lack 'ovs')`);
  return ovs.rows(table).find((r) => r.name === name);
};
const set = (v: unknown) => (Array.isArray(v) ? [...v].sort() : [v]);

/** A kernel link kind: its word in `ip -d link` (info_kind; tap and tun are `tun`), and how each file
 *  field reads there. Common fields (mtu, state, mac) for all; `addresses` is the address kind's. */
type Field = (l: any) => unknown;
const COMMON: Record<string, Field> = { mtu: (l) => l.mtu, state: up, mac: (l) => l.address };
const gre: Record<string, Field> = {
  local: (l) => l.linkinfo.info_data.local,
  remote: (l) => l.linkinfo.info_data.remote,
  key: (l) =>
    num(l.linkinfo.info_data.ikey) === num(l.linkinfo.info_data.okey)
      ? num(l.linkinfo.info_data.ikey)
      : 'ikey and okey differ',
  ttl: (l) => l.linkinfo.info_data.ttl,
  tos: (l) => Number(l.linkinfo.info_data.tos ?? 0),
  pmtudisc: (l) => l.linkinfo.info_data.pmtudisc,
  dev: (l) => l.linkinfo.info_data.link,
};
const macv: Record<string, Field> = { link: (l) => l.link, mode: (l) => l.linkinfo.info_data.mode };
const tuntap: Record<string, Field> = {
  user: (l) => l.linkinfo.info_data.user,
  group: (l) => l.linkinfo.info_data.group,
  multi_queue: (l) => !!l.linkinfo.info_data.multi_queue,
};
const LINKS: Record<string, { word?: string; type?: Field; existing?: boolean; fields: Record<string, Field> }> = {
  bridge: {
    fields: {
      stp: (l) => l.linkinfo.info_data.stp_state !== 0,
      forward_delay: (l) => l.linkinfo.info_data.forward_delay / 100,
      ageing: (l) => l.linkinfo.info_data.ageing_time / 100,
      vlan_filtering: (l) => !!l.linkinfo.info_data.vlan_filtering,
      ports: (l) => l.ifname, // checked below: each port's master
    },
  },
  bond: {
    fields: {
      mode: (l) => l.linkinfo.info_data.mode,
      miimon: (l) => l.linkinfo.info_data.miimon,
      primary: (l) => l.linkinfo.info_data.primary,
      xmit_hash_policy: (l) => l.linkinfo.info_data.xmit_hash_policy,
      updelay: (l) => l.linkinfo.info_data.updelay,
      downdelay: (l) => l.linkinfo.info_data.downdelay,
      ports: (l) => l.ifname,
    },
  },
  vlan: {
    fields: {
      link: (l) => l.link,
      id: (l) => l.linkinfo.info_data.id,
      protocol: (l) => String(l.linkinfo.info_data.protocol).toLowerCase(),
    },
  },
  vxlan: {
    fields: {
      vni: (l) => l.linkinfo.info_data.id,
      remote: (l) => l.linkinfo.info_data.remote ?? l.linkinfo.info_data.remote6,
      group: (l) => l.linkinfo.info_data.group ?? l.linkinfo.info_data.group6,
      local: (l) => l.linkinfo.info_data.local ?? l.linkinfo.info_data.local6,
      dev: (l) => l.linkinfo.info_data.link,
      dstport: (l) => l.linkinfo.info_data.port,
      ttl: (l) => l.linkinfo.info_data.ttl,
      learning: (l) => l.linkinfo.info_data.learning,
    },
  },
  veth: { fields: { peer: (l) => l.link } },
  macvlan: { fields: macv },
  macvtap: { fields: macv },
  tap: { word: 'tun', type: (l) => l.linkinfo.info_data.type, fields: tuntap },
  tun: { word: 'tun', type: (l) => l.linkinfo.info_data.type, fields: tuntap },
  dummy: { fields: {} },
  gre: { fields: gre },
  gretap: { fields: gre },
  ip6gre: { fields: gre },
  ip6gretap: { fields: gre },
  ethernet: { existing: true, fields: {} },
};

function linkChecker(kind: string): Checker {
  const spec = LINKS[kind];
  return {
    present({ ns }, doc) {
      const live = links(ns);
      for (const [name, e] of entries(doc, kind)) {
        const l = live.get(name);
        expect(l, `link ${name}`).toBeDefined();
        if (spec.existing)
          expect(l.ifalias, `${name}: nethost's mark for an existing device`).toMatch(/^nethost:existing(;|$)/);
        else {
          expect(l.ifalias, `${name}: nethost's mark`).toBe('nethost');
          expect(l.linkinfo?.info_kind, `${name}: kind`).toBe(spec.word ?? kind);
        }
        if (spec.type) expect(spec.type(l), `${name}: type`).toBe(kind);
        expect(up(l), `${name}: state`).toBe(e.state ?? 'up');
        for (const [f, v] of Object.entries<any>(e)) {
          if (f === 'kind' || f === 'addresses' || f === 'guard') continue;
          const read = spec.fields[f] ?? COMMON[f];
          if (!read)
            throw new Error(
              `the conformance checker of ${kind} does not read field "${f}" (test/helpers/conformance.ts, LINKS)`,
            );
          if (f === 'ports') for (const p of v) expect(live.get(p)?.master, `${p}: master`).toBe(name);
          else expect(read(l), `${name}: ${f}`).toEqual(f === 'key' ? num(v) : v);
        }
      }
    },
    gone({ ns }, doc) {
      const live = links(ns);
      for (const [name] of entries(doc, kind)) {
        if (spec.existing) {
          // Never deleted: released, its own alias (none) given back.
          expect(live.get(name), `${name} is still there`).toBeDefined();
          expect(live.get(name).ifalias, `${name} released`).toBeUndefined();
        } else expect(live.has(name), `link ${name} deleted`).toBe(false);
      }
    },
  };
}

/** The ports of an OVS bridge entry as name → settings. */
const ovsPorts = (e: any): [string, any][] =>
  Array.isArray(e.ports) ? e.ports.map((p: string) => [p, {}]) : Object.entries(e.ports ?? {});

const OVS: Record<string, Checker> = {
  'ovs-bridge': {
    present(t, doc) {
      for (const [name, e] of entries(doc, 'ovs-bridge')) {
        const b = row(t.ovs, 'Bridge', name);
        expect(b, `Bridge ${name}`).toBeDefined();
        expect(b!.external_ids.nethost, `${name}: nethost's mark`).toBe('1');
        expect(b!.datapath_type || 'system', `${name}: datapath`).toBe(e.datapath ?? 'system');
        expect(set(b!.fail_mode)[0] ?? 'standalone', `${name}: fail_mode`).toBe(e.fail_mode ?? 'standalone');
        expect(b!.stp_enable, `${name}: stp`).toBe(!!e.stp);
        expect(b!.rstp_enable, `${name}: rstp`).toBe(!!e.rstp);
        expect(links(t.ns).has(name), `${name}: its kernel device`).toBe(true);
      }
    },
    gone(t, doc) {
      for (const [name] of entries(doc, 'ovs-bridge')) {
        expect(row(t.ovs, 'Bridge', name), `Bridge ${name} deleted`).toBeUndefined();
        expect(links(t.ns).has(name), `${name}: its kernel device`).toBe(false);
      }
    },
  },
  'ovs-device': {
    present(t, doc) {
      const live = links(t.ns);
      for (const [name, e] of entries(doc, 'ovs-bridge'))
        expect(live.get(name) && up(live.get(name)), `${name}: state`).toBe(e.state ?? 'up');
    },
    gone(t, doc) {
      for (const [name] of entries(doc, 'ovs-bridge'))
        expect(links(t.ns).has(name), `${name}: kernel device`).toBe(false);
    },
  },
  'ovs-port': {
    present(t, doc) {
      for (const [bridge, e] of entries(doc, 'ovs-bridge')) {
        const ports = row(t.ovs, 'Bridge', bridge)?.ports;
        for (const [p, s] of ovsPorts(e)) {
          const r = row(t.ovs, 'Port', p);
          expect(r, `Port ${p}`).toBeDefined();
          expect(set(ports), `${p} on ${bridge}`).toContain(r!._uuid);
          expect(r!.external_ids.nethost, `${p}: nethost's mark`).toBe('1');
          expect(set(r!.tag), `${p}: tag`).toEqual(s?.tag === undefined ? [] : [s.tag]);
          expect(set(r!.trunks), `${p}: trunks`).toEqual([...(s?.trunks ?? [])].sort());
          expect(set(r!.vlan_mode)[0], `${p}: vlan_mode`).toBe(s?.vlan_mode);
        }
      }
    },
    gone(t, doc) {
      for (const [, e] of entries(doc, 'ovs-bridge'))
        for (const [p] of ovsPorts(e)) expect(row(t.ovs, 'Port', p), `Port ${p} deleted`).toBeUndefined();
    },
  },
  'ovs-internal': {
    present(t, doc) {
      const live = links(t.ns);
      for (const [name, e] of entries(doc, 'ovs-internal')) {
        expect(row(t.ovs, 'Interface', name)?.type, `${name}: Interface type`).toBe('internal');
        expect(live.get(name) && up(live.get(name)), `${name}: state`).toBe(e.state ?? 'up');
      }
    },
    gone(t, doc) {
      for (const [name] of entries(doc, 'ovs-internal')) {
        expect(row(t.ovs, 'Interface', name), `Interface ${name} deleted`).toBeUndefined();
        expect(links(t.ns).has(name), `${name}: kernel device`).toBe(false);
      }
    },
  },
  'ovs-tunnel': {
    present(t, doc) {
      for (const [name, e] of entries(doc, 'ovs-tunnel')) {
        const r = row(t.ovs, 'Interface', name);
        expect(r?.type, `${name}: type`).toBe(e.type);
        expect(r!.options.remote_ip, `${name}: remote_ip`).toBe(e.remote_ip);
        expect(r!.options.local_ip, `${name}: local_ip`).toBe(e.local_ip);
        expect(r!.options.key, `${name}: key`).toBe(e.key === undefined ? undefined : String(e.key));
      }
    },
    gone(t, doc) {
      for (const [name] of entries(doc, 'ovs-tunnel'))
        expect(row(t.ovs, 'Interface', name), `Interface ${name} deleted`).toBeUndefined();
    },
  },
  'ovs-bond': {
    present(t, doc) {
      for (const [name, e] of entries(doc, 'ovs-bond')) {
        const r = row(t.ovs, 'Port', name);
        expect(r?.bond_mode, `${name}: bond_mode`).toBe(e.bond_mode ?? 'active-backup');
        expect(set(r!.lacp)[0] ?? 'off', `${name}: lacp`).toBe(e.lacp ?? 'off');
        const members = t
          .ovs!.rows('Interface')
          .filter((i) => set(r!.interfaces).includes(i._uuid))
          .map((i) => i.name)
          .sort();
        expect(members, `${name}: members`).toEqual([...e.ports].sort());
      }
    },
    gone(t, doc) {
      for (const [name] of entries(doc, 'ovs-bond'))
        expect(row(t.ovs, 'Port', name), `Port ${name} deleted`).toBeUndefined();
    },
  },
  'ovs-patch': {
    present(t, doc) {
      for (const [name, e] of entries(doc, 'ovs-patch')) {
        const r = row(t.ovs, 'Interface', name);
        expect(r?.type, `${name}: type`).toBe('patch');
        expect(r!.options.peer, `${name}: peer`).toBe(e.peer);
      }
    },
    gone(t, doc) {
      for (const [name] of entries(doc, 'ovs-patch'))
        expect(row(t.ovs, 'Interface', name), `Interface ${name} deleted`).toBeUndefined();
    },
  },
};

/** "LOCAL/LEN" as ip -j shows an `addresses:` entry without a peer. */
const addresses = (ns: string) =>
  ipJson<any[]>(ns, 'addr', 'show').flatMap((l) =>
    (l.addr_info ?? []).map((a: any) => `${l.ifname} ${a.local}/${a.prefixlen}`),
  );
const fileAddresses = (doc: Doc) =>
  Object.entries<any>(doc.interfaces ?? {}).flatMap(([n, e]) => (e.addresses ?? []).map((a: string) => `${n} ${a}`));
const routes = (ns: string) => ['-4', '-6'].flatMap((f) => ipJson<any[]>(ns, f, 'route', 'show', 'table', 'all'));
const findRoute = (ns: string, r: any) =>
  routes(ns).find(
    (x) =>
      x.dst === r.to &&
      (x.table ?? 'main') === String(r.table ?? 'main') &&
      (x.type ?? 'unicast') === (r.type ?? 'unicast'),
  );
const findRule = (ns: string, r: any) =>
  ipJson<any[]>(
    ns,
    r.family === 'ipv6' || String(r.from ?? r.to ?? '').includes(':') ? '-6' : '-4',
    'rule',
    'show',
  ).find((x) => x.priority === r.priority);
const sysctl = (ns: string, key: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', key], { encoding: 'utf8' }).trim();
const nftTables = (ns: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' });

const SECTIONS: Record<string, Checker> = {
  address: {
    present: ({ ns }, doc) => expect(addresses(ns)).toEqual(expect.arrayContaining(fileAddresses(doc))),
    gone: ({ ns }, doc) => {
      const live = addresses(ns);
      for (const a of fileAddresses(doc)) expect(live, a).not.toContain(a);
    },
    // An address is its whole value: the change is another address (a delete and a create).
    changeActions: ['create', 'delete'],
  },
  route: {
    present({ ns }, doc) {
      for (const r of doc.routes ?? []) {
        const hit = findRoute(ns, r);
        expect(hit, `route ${r.to} table ${r.table ?? 'main'}`).toBeDefined();
        expect(hit.protocol, `route ${r.to}: nethost's mark`).toBe('232');
        expect(hit.gateway, `route ${r.to}: via`).toBe(r.via);
        if (r.dev) expect(hit.dev, `route ${r.to}: dev`).toBe(r.dev);
        if (r.metric !== undefined) expect(hit.metric ?? 0, `route ${r.to}: metric`).toBe(r.metric);
      }
    },
    gone: ({ ns }, doc) =>
      (doc.routes ?? []).forEach((r: any) => expect(findRoute(ns, r), `route ${r.to}`).toBeUndefined()),
  },
  rule: {
    present({ ns }, doc) {
      for (const r of doc.rules ?? []) {
        const hit = findRule(ns, r);
        expect(hit, `rule ${r.priority}`).toBeDefined();
        expect(hit.protocol, `rule ${r.priority}: nethost's mark`).toBe('232');
        if (r.from) expect(`${hit.src}/${hit.srclen}`, `rule ${r.priority}: from`).toBe(r.from);
        expect(hit.table ?? hit.action, `rule ${r.priority}: table`).toBe(String(r.table ?? r.type));
      }
    },
    gone: ({ ns }, doc) =>
      (doc.rules ?? []).forEach((r: any) => expect(findRule(ns, r), `rule ${r.priority}`).toBeUndefined()),
  },
  neighbor: {
    present({ ns }, doc) {
      for (const n of doc.neighbors ?? []) {
        const hit = ipJson<any[]>(ns, 'neigh', 'show', 'nud', 'all').find((x) => x.dev === n.dev && x.dst === n.to);
        expect(hit?.lladdr, `neighbour ${n.to}`).toBe(n.lladdr);
        expect(hit.state, `neighbour ${n.to}: state`).toContain((n.state ?? 'permanent').toUpperCase());
      }
    },
    gone: ({ ns }, doc) => {
      const live = ipJson<any[]>(ns, 'neigh', 'show', 'nud', 'permanent');
      for (const n of doc.neighbors ?? [])
        expect(
          live.find((x) => x.dev === n.dev && x.dst === n.to),
          `neighbour ${n.to}`,
        ).toBeUndefined();
    },
  },
  sysctl: {
    present: ({ ns }, doc) =>
      Object.entries<any>(doc.sysctls ?? {}).forEach(([k, v]) => expect(sysctl(ns, k), k).toBe(String(v))),
    // A setting has no owner: nethost never resets one the file drops, so it stays as it was.
    gone: ({ ns }, doc) =>
      Object.entries<any>(doc.sysctls ?? {}).forEach(([k, v]) =>
        expect(sysctl(ns, k), `${k} left as it was`).toBe(String(v)),
      ),
  },
  firewall: {
    present({ ns }, doc) {
      const text = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', 'nethost'], {
        encoding: 'utf8',
      });
      for (const [chain, c] of Object.entries<any>(doc.firewall ?? {})) {
        if (c.policy)
          expect(text, `${chain}: policy`).toMatch(new RegExp(`chain ${chain} \\{[^}]*policy ${c.policy};`));
        for (const a of c.allow ?? [])
          if (a.port !== undefined)
            expect(text, `${chain}: ${a.proto} port ${a.port}`).toMatch(new RegExp(`${a.proto} dport ${a.port}\\b`));
      }
    },
    gone: ({ ns }) => expect(nftTables(ns)).not.toMatch(/ nethost$/m),
  },
};

export const CHECKERS: Record<string, Checker> = {
  ...Object.fromEntries(Object.keys(LINKS).map((k) => [k, linkChecker(k)])),
  ...OVS,
  ...SECTIONS,
};

// ---- the steps ----

/** OVSDB as it stands, for "exactly as before": rows without run-time columns. */
const COLUMNS: Record<string, string> = {
  Bridge: 'name,datapath_type,stp_enable,rstp_enable,other_config,fail_mode,external_ids',
  Port: 'name,tag,trunks,vlan_mode,bond_mode,lacp,other_config,external_ids',
  Interface: 'name,type,options,mtu_request,mac,external_ids',
};
const ovsState = (ovs: Ovs) =>
  Object.entries(COLUMNS).map(([t, c]) =>
    JSON.parse(ovs.vsctl('--format=json', `--columns=${c}`, 'list', t))
      .data.map((r: unknown) => JSON.stringify(r))
      .sort(),
  );

/** Everything a rollback must put back, read with the tools: links field by field (compare.ts),
 *  marks, rules and nftables (state.ts), the file's sysctls, and OVSDB. */
function snapshot(t: Target, doc: Doc) {
  return {
    network: networkState(t.ns, Object.keys(doc.sysctls ?? {})),
    kernel: kernelState(t.ns),
    ovs: t.ovs && ovsState(t.ovs),
  };
}

/** The fault: a bridge of its own and a route on it whose preferred source is no address of this host,
 *  which the kernel refuses (Invalid prefsrc address), as engine.test.ts does. Routes come late in a
 *  plan, so the refusal comes after this kind's own operations; `operations()` says whether it did. */
const FAULT_DEV = 'nhtfault0';
const FAULT_ROUTE = { to: '203.0.113.248/29', dev: FAULT_DEV, src: '198.51.100.77' };
function withRefusedRoute(doc: Doc) {
  const d = structuredClone(doc);
  d.interfaces = { ...(d.interfaces ?? {}), [FAULT_DEV]: { kind: 'bridge' } };
  d.routes = [...(d.routes ?? []), FAULT_ROUTE];
  return d;
}
/** The other fault, for a kind whose operations every route precedes (rules): an MTU under 1280,
 *  which a bridge's plan sets last, flushes the bridge's IPv6 address, so the verification fails
 *  after every operation ran (engine.test.ts). `before` has the bridge with the address already. */
function withFlushedAddress(doc: Doc, mtu?: number) {
  const d = structuredClone(doc);
  d.interfaces = {
    ...(d.interfaces ?? {}),
    [FAULT_DEV]: { kind: 'bridge', ...(mtu ? { mtu } : {}), addresses: ['2001:db8:ffff::1/64'] },
  };
  return d;
}

/** Registers the describe block of one kind: its five steps, in order, in one fresh namespace. */
export function describeKind(kind: ResourceKind) {
  describe(kind.name, () => {
    const sample = kind.sample!;
    const check = CHECKERS[kind.name];
    const needs = sample.needs ?? [];
    const doc = parse(sample.file);
    const changed = parse(sample.change);
    const file = tempFile(`${kind.name}.yaml`, sample.file);
    const change = tempFile(`${kind.name}-change.yaml`, sample.change);
    const empty = tempFile('empty.yaml', 'version: 1\n');
    const t: Target = { ns: '' };
    let failed: string | undefined;
    const cli = (...args: string[]) => nethost(...args, '--netns', t.ns, ...(t.ovs ? ['--ovsdb', t.ovs.db] : []));
    const planJson = (f: string) => {
      const r = cli('plan', f, '--json');
      if (r.code !== 0 && r.code !== 2) throw new Error(`plan ${f} failed (${r.code}): ${r.stdout}${r.stderr}`);
      return { code: r.code, json: JSON.parse(r.stdout) };
    };
    const expectEmptyPlan = (f: string, what: string) => {
      const p = planJson(f);
      expect(
        p.json.changes.map((c: any) => `${c.action} ${c.id}`),
        `${what}: the plan is empty`,
      ).toEqual([]);
      expect(p.code, what).toBe(0);
    };
    /** apply --json: exit 0, and verified (nethost's own fresh plan was empty) unless there was nothing
     *  to do (a sysctl the file drops is left as it is); returns the plan it ran. */
    const apply = (f: string, what: string) => {
      const r = cli('apply', f, '--yes', '--json');
      expect(r.code, `${what}: ${r.stderr}${r.stdout}`).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.verified || (!out.applied && out.plan.changes.length === 0), `${what}: verified`).toBe(true);
      return out.plan;
    };
    // A step runs only if the ones before it passed: the later ones would only repeat the failure.
    const step = (name: string, body: () => void) =>
      it(name, () => {
        if (failed) throw new Error(`not run: "${failed}" failed`);
        try {
          body();
        } catch (e) {
          failed = name;
          throw e;
        }
      });

    beforeAll(() => {
      if (!check)
        throw new Error(`no conformance checker for kind ${kind.name} (test/helpers/conformance.ts, CHECKERS)`);
      const missing = needs.filter((n) => whyUnavailable(n) !== undefined);
      if (missing.length)
        throw new Error(
          `${kind.name} needs ${missing.map((n) => `${n} (${whyUnavailable(n)})`).join(', ')}: unavailable here, where it was meant to run`,
        );
      t.ns = newNetns('cf');
      provideEthernets(t.ns, file);
      if (needs.includes('ovs')) t.ovs = startOvs(t.ns);
    });
    afterAll(() => t.ovs && stopOvs(t.ovs));

    step('(a) create: apply makes the object, as the tools show it', () => {
      apply(file, 'apply');
      check.present(t, doc);
    });

    // The plan after (a) is the no-op (one run for both: in the lab each nethost run takes seconds).
    step('(b) no-op: a fresh plan (--json) exits 0 and is empty', () => {
      expectEmptyPlan(file, 'after apply');
    });

    step('(c) update in place: the change is an update, applied, and the tools show the new value', () => {
      const plan = apply(change, 'apply of the change');
      const mine = plan.changes.filter((c: any) => c.kind === kind.name);
      expect(mine.length, `the change touches a ${kind.name}`).toBeGreaterThan(0);
      expect([...new Set(mine.map((c: any) => c.action))].sort(), `${kind.name} changes`).toEqual(
        [...(check.changeActions ?? ['update'])].sort(),
      );
      expect(
        plan.changes.filter((c: any) => c.action === 'replace').map((c: any) => c.id),
        'nothing replaced',
      ).toEqual([]);
      expectEmptyPlan(change, 'after the change');
      check.present(t, changed);
      // The checker sees the attribute that changed: the sample's old value is no longer there.
      expect(() => check.present(t, doc), 'the checker still finds the old value').toThrow();
    });

    step('(d) rollback: the sample again, failing midway, leaves the changed state exactly', () => {
      let fault = tempFile(`${kind.name}-fault.yaml`, stringify(withRefusedRoute(doc)));
      const plan = planJson(fault).json;
      const ops: any[] = plan.operations;
      const kinds = new Map<string, string>(plan.changes.map((c: any) => [c.id, c.kind]));
      const refused = ops.findIndex((o) => o.command.includes(FAULT_DEV) && o.command.includes('route'));
      expect(refused, 'the refused route is in the plan').toBeGreaterThan(0);
      const mine = ops.flatMap((o, i) => (kinds.get(o.resource) === kind.name ? [i] : []));
      expect(mine.length, `the sample again changes the ${kind.name} back`).toBeGreaterThan(0);
      let expected: RegExp;
      if (mine[0] < refused)
        expected =
          /operation \d+ of \d+ failed: ip -n \S+ route replace 203\.0\.113\.248\/29 dev nhtfault0 src 198\.51\.100\.77.*Invalid prefsrc/;
      else {
        apply(
          tempFile('pre.yaml', stringify(withFlushedAddress(changed))),
          'apply of the changed file with the fault bridge',
        );
        fault = tempFile(`${kind.name}-fault.yaml`, stringify(withFlushedAddress(doc, 1200)));
        expected = /verification failed/;
      }
      const before = snapshot(t, doc);
      const r = cli('apply', fault, '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).toMatch(/previous state restored and verified/);
      expect(snapshot(t, doc)).toEqual(before);
      check.present(t, changed);
    });

    step('(e) delete: an empty file removes it (an existing device is released, a sysctl left as it is)', () => {
      // apply --json says that nethost's own fresh plan was empty afterwards (nothing of its own left).
      apply(empty, 'apply of an empty file');
      check.gone(t, changed);
      if (t.ovs) expect(t.ovs.vsctl('list-br').trim(), 'OVS bridges left').toBe('');
    });
  });
}
