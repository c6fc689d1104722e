// Every example this machine can run is applied to a fresh namespace: the live result is checked field
// by field with `ip -j` (not through nethost's own reader), the second plan is empty, drift-check is
// quiet, and applying an empty file removes everything nethost made. Which examples run here is
// derived from the registry: an example's needs are those of its resources' kinds' samples, as the
// loader makes them (test/helpers/needs.ts); the others run in the kernel lab.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  deleteAllNetns,
  ipJson,
  links,
  newNetns,
  nethost as run,
  provideEthernets,
  tempFile,
} from '../helpers/netns.js';
import { startOvs, stopAllOvs, type Ovs } from '../helpers/ovs.js';
import { exampleFiles, exampleNeeds, labExamples, namedByLabTests, runsHere, runsInLab } from '../helpers/needs.js';
import { readHostFacts } from '../../src/live/read.js';
import { kindOf, LINK_KINDS } from '../../src/registry/kinds.js';
import type { LinkKind } from '../../src/kinds/types.js';

afterAll(() => (stopAllOvs(), deleteAllNetns()));

const facts = await readHostFacts();
const needsOf = new Map(exampleFiles().map((f) => [f, exampleNeeds(`examples/${f}`, facts)]));
/** The examples whose needs this machine has (probed): an OVS bridge on the kernel datapath needs the
 *  module, guard allow-lists need bridge connection tracking; the rest run in the lab. */
const examples = exampleFiles().filter((f) => runsHere(needsOf.get(f)!));
const usesOvs = (f: string) => needsOf.get(f)!.includes('ovs');
/** Kinds whose entries are Open vSwitch's (checked in OVSDB, not as kernel links): the kinds that hold
 *  their ports themselves, so an entry's `ports` are not kernel ports either. */
const isOvs = (kind: string) => (kindOf(kind) as LinkKind).holdsPortsItself === true;

/** nethost's nft tables in the namespace (read with nft directly). */
const nftTables = (ns: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => / nethost$/.test(l))
    .sort();

/** The kind the registry sees in a raw link (the first link kind that claims it, as nethost classifies). */
const kindSeen = (l: any, all: any[]) => LINK_KINDS.find((k) => k.matches(l, { links: all } as any))?.name;

/** OVS parts of an example, checked in OVSDB itself; their kernel devices (bridges, internal ports) are up. */
function checkOvs(ns: string, doc: any, ovs: Ovs) {
  const live = links(ns);
  for (const [name, e] of Object.entries<any>(doc.interfaces ?? {})) {
    if (e.kind === 'ovs-bridge') {
      expect(ovs.rows('Bridge', name)[0]).toMatchObject({
        datapath_type: e.datapath ?? '',
        stp_enable: !!e.stp,
        external_ids: { nethost: '1' },
      });
      expect(live.get(name)?.flags, `${name} up`).toContain('UP');
      const ports = Array.isArray(e.ports) ? Object.fromEntries(e.ports.map((p: string) => [p, {}])) : (e.ports ?? {});
      for (const [p, s] of Object.entries<any>(ports)) {
        const row = ovs.rows('Port', p)[0];
        expect(row.external_ids, `port ${p}`).toMatchObject({ nethost: '1' });
        expect(row.tag, `${p} tag`).toEqual(s?.tag ?? []);
        expect(row.trunks, `${p} trunks`).toEqual(s?.trunks ? (s.trunks.length === 1 ? s.trunks[0] : s.trunks) : []);
      }
    }
    if (e.kind === 'ovs-internal') {
      expect(ovs.rows('Interface', name)[0]).toMatchObject({ type: 'internal', error: [] });
      expect(live.get(name)?.flags, `${name} up`).toContain('UP');
    }
    if (e.kind === 'ovs-tunnel')
      expect(ovs.rows('Interface', name)[0]).toMatchObject({ type: e.type, options: { remote_ip: e.remote_ip } });
  }
}

/** An `addresses:` entry as ip -j shows it: "LOCAL/LEN", or "LOCAL peer PEER/LEN" (a peer's length is /32 or /128 unless given). */
function addressText(e: any): string {
  const [address, peer] = typeof e === 'string' ? e.split(/\s+peer\s+/) : [e.address, e.peer];
  if (!peer) return address;
  const full = peer.includes(':') ? 128 : 32;
  return `${address.split('/')[0]} peer ${peer.includes('/') ? peer : `${peer}/${full}`}`;
}

function checkLive(ns: string, doc: any, ovs?: Ovs) {
  const live = links(ns);
  const addrs = new Map(
    ipJson<any[]>(ns, 'addr', 'show').map((l) => [
      l.ifname,
      (l.addr_info ?? []).map((a: any) =>
        a.address ? `${a.local} peer ${a.address}/${a.prefixlen}` : `${a.local}/${a.prefixlen}`,
      ),
    ]),
  );
  const masterOf = new Map<string, string>();
  for (const [name, e] of Object.entries<any>(doc.interfaces ?? {}))
    if (!isOvs(e.kind)) for (const p of e.ports ?? []) masterOf.set(p, name);
  if (ovs) checkOvs(ns, doc, ovs);
  for (const [name, e] of Object.entries<any>(doc.interfaces ?? {})) {
    if (isOvs(e.kind)) {
      for (const a of e.addresses ?? []) expect(addrs.get(name), `${name} addresses`).toContain(addressText(a));
      continue;
    }
    const l = live.get(name);
    expect(l, `link ${name}`).toBeDefined();
    // An existing device is whatever the host has (the test's veth ends): its kind is not checked.
    if (kindOf(e.kind).creatable !== false) expect(kindSeen(l, [...live.values()]), `${name} kind`).toBe(e.kind);
    if (e.kind === 'ethernet')
      expect(l.ifalias, `${name} carries nethost's mark`).toMatch(/^nethost:existing(;keep=.*)?$/);
    else expect(l.ifalias, `${name} carries nethost's mark`).toBe('nethost');
    expect(l.flags.includes('UP'), `${name} up`).toBe((e.state ?? 'up') === 'up');
    if (e.mtu) expect(l.mtu, `${name} mtu`).toBe(e.mtu);
    expect(l.master, `${name} master`).toBe(masterOf.get(name));
    for (const a of e.addresses ?? []) expect(addrs.get(name), `${name} addresses`).toContain(addressText(a));
    const d = l.linkinfo?.info_data ?? {};
    if (e.kind === 'vxlan') {
      expect(d.id).toBe(e.vni);
      expect(d.port).toBe(e.dstport ?? 4789);
      if (e.group) expect(d.group).toBe(e.group);
      if (e.dev) expect(d.link).toBe(e.dev);
      if (e.ttl) expect(d.ttl).toBe(e.ttl);
    }
    if (e.kind === 'bridge') {
      expect(d.stp_state).toBe(e.stp ? 1 : 0);
      if (e.forward_delay) expect(d.forward_delay).toBe(e.forward_delay * 100);
    }
    if (e.kind === 'macvtap' || e.kind === 'macvlan') {
      expect(d.mode).toBe(e.mode ?? 'vepa');
      expect(l.link).toBe(e.link);
    }
    if (e.kind === 'tap' || e.kind === 'tun') {
      expect(d.type).toBe(e.kind);
      if (e.user) expect(d.user).toBe(e.user);
      expect(!!d.multi_queue).toBe(!!e.multi_queue);
    }
  }
  for (const r of doc.routes ?? []) {
    const v6 = String(r.to).includes(':') || String(r.via ?? '').includes(':');
    const routes = ipJson<any[]>(ns, v6 ? '-6' : '-4', 'route', 'show', 'table', String(r.table ?? 'main'));
    const hit = routes.find((x) => x.dst === r.to && (x.type ?? 'unicast') === (r.type ?? 'unicast'));
    expect(hit, `route ${r.to} table ${r.table ?? 'main'}`).toBeDefined();
    expect(hit.protocol).toBe('232');
    if (r.via) expect(hit.gateway).toBe(r.via);
  }
  for (const r of doc.rules ?? []) {
    const rules = ipJson<any[]>(ns, 'rule', 'show');
    const hit = rules.find((x) => x.priority === r.priority);
    expect(hit, `rule ${r.priority}`).toBeDefined();
    expect(hit.protocol).toBe('232');
    if (r.table) expect(hit.table).toBe(String(r.table));
    if (r.type) expect(hit.action).toBe(r.type);
  }
  for (const n of doc.neighbors ?? []) {
    const hit = ipJson<any[]>(ns, 'neigh', 'show', 'dev', n.dev).find((x) => x.dst === n.to);
    expect(hit?.lladdr, `neighbour ${n.to}`).toBe(n.lladdr);
    expect(hit.state).toContain((n.state ?? 'permanent').toUpperCase());
  }
  const guarded = Object.values<any>(doc.interfaces ?? {}).some((i) => i.guard);
  expect(nftTables(ns)).toEqual([
    ...(guarded ? ['table bridge nethost'] : []),
    ...(doc.firewall ? ['table inet nethost'] : []),
  ]);
  for (const [k, v] of Object.entries<any>(doc.sysctls ?? {})) {
    const got = execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', k], { encoding: 'utf8' }).trim();
    expect(got, k).toBe(String(v));
  }
}

describe.each(examples)('example %s', (file) => {
  it('applies, verifies, plans empty, is in sync, and is removed by an empty file', () => {
    const path = `examples/${file}`;
    const doc = parse(readFileSync(path, 'utf8'));
    const ns = newNetns('ex');
    provideEthernets(ns, path);
    const before = [...links(ns).keys()].sort();
    // An OVS example gets an Open vSwitch of its own, inside its namespace.
    const ovs = usesOvs(file) ? startOvs(ns) : undefined;
    const nethost = (...args: string[]) => run(...args, ...(ovs ? ['--ovsdb', ovs.db] : []));

    const plan = nethost('plan', path, '--netns', ns);
    expect(plan.code, plan.stderr).toBe(2);

    const apply = nethost('apply', path, '--netns', ns, '--yes');
    expect(apply.code, apply.stderr + apply.stdout).toBe(0);
    expect(apply.stdout).toMatch(/Applied and verified/);
    checkLive(ns, doc, ovs);

    const again = nethost('plan', path, '--netns', ns);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
    const drift = nethost('drift-check', path, '--netns', ns);
    expect(drift.code).toBe(0);
    expect(drift.stdout).toBe('');

    const empty = tempFile('empty.yaml', 'version: 1\n');
    const clean = nethost('apply', empty, '--netns', ns, '--yes');
    expect(clean.code, clean.stderr).toBe(0);
    expect([...links(ns).keys()].sort()).toEqual(before);
    if (ovs) expect(ovs.vsctl('list-br').trim()).toBe('');
    for (const l of links(ns).values()) expect(l.ifalias).toBeUndefined();
    expect(ipJson<any[]>(ns, 'rule', 'show').filter((r) => r.protocol === '232')).toEqual([]);
    expect(ipJson<any[]>(ns, '-4', 'route', 'show', 'table', 'all').filter((r) => r.protocol === '232')).toEqual([]);
    expect(ipJson<any[]>(ns, '-6', 'route', 'show', 'table', 'all').filter((r) => r.protocol === '232')).toEqual([]);
    expect(nftTables(ns)).toEqual([]);
    // what is left is the kernel's own: lo's 127.0.0.1 once lo is up
    const addrs = ipJson<any[]>(ns, '-4', 'addr', 'show').flatMap((l) => l.addr_info ?? []);
    expect(addrs.map((a) => a.local).filter((a) => a !== '127.0.0.1')).toEqual([]);
  });
});

it('applies every example under examples/ here or in the lab, never neither', () => {
  expect(examples.length).toBeGreaterThanOrEqual(9);
  expect(examples).toEqual(
    expect.arrayContaining(['anycast-lo.yaml', 'netns-veth-peer.yaml', 'router-forwarding.yaml', 'ovs-vm-host.yaml']),
  );
  // The lab has this machine's userspace and another kernel: an example missing something of the
  // userspace here would be missing it there too. Those the lab runs are applied by the lab test that
  // names them, or else by test/lab/examples.lab.test.ts (the same derivation, in the guest).
  const named = namedByLabTests('examples.lab.test.ts');
  const inLab = new Set(labExamples(facts));
  const nowhere = exampleFiles().filter(
    (f) => !examples.includes(f) && !(runsInLab(needsOf.get(f)!) && (named.has(f) || inLab.has(f))),
  );
  expect(nowhere.map((f) => `${f} (needs ${needsOf.get(f)!.join(', ')})`)).toEqual([]);
});
