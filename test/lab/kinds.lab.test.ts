// The kinds this machine's kernel lacks (bond, vlan, gre, gretap, dummy), in the kernel lab guest:
// each kind's lifecycle (create, update in place, replace, delete, second plan empty), the fault
// path, and real traffic over a keyed GRE tunnel, a bridged gretap, multicast GRE with permanent
// neighbours, and a VLAN on a bond that survives losing a port.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { deleteAllNetns, ip, ipJson, links, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { applyFile, planFile } from '../../src/engine/index.js';

requireLab();
// The guest boots without udev: load tun so that /dev/net/tun exists for the VMs' taps.
beforeAll(() => {
  spawnSync('modprobe', ['tun']);
});
afterAll(() => deleteAllNetns());

const ping = (ns: string, to: string) =>
  spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.5', '-W', '3', to], { encoding: 'utf8' });

async function converge(file: string, ns: string) {
  await applyFile(file, ns);
  const { plan } = await planFile(file, ns);
  expect(plan.changes.map((c) => `${c.action} ${c.id}`)).toEqual([]);
}

describe('lifecycle of each kind', () => {
  it('bond: create, update in place, mode change (ports released and re-added, flagged), delete', async () => {
    const ns = newNetns('bond');
    const peer = newNetns('bondp');
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x0', 'netns', peer);
    ip('-n', ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'x1', 'netns', peer);
    const file = (mode: string, miimon: number) =>
      tempFile(
        'b.yaml',
        `version: 1\ninterfaces:\n  eth0: {kind: ethernet}\n  eth1: {kind: ethernet}\n  bond0: {kind: bond, mode: ${mode}, miimon: ${miimon}, ports: [eth0, eth1], addresses: [192.0.2.1/24]}\n`,
      );
    await converge(file('active-backup', 100), ns);
    let l = links(ns);
    expect(l.get('bond0').linkinfo.info_data.mode).toBe('active-backup');
    expect(l.get('eth0').master).toBe('bond0');
    expect(l.get('eth1').master).toBe('bond0');

    await converge(file('active-backup', 200), ns);
    expect(links(ns).get('bond0').linkinfo.info_data.miimon).toBe(200);

    const f = file('4', 200); // numeric mode, as in BONDING_OPTS: 802.3ad
    const { plan } = await planFile(f, ns);
    const c = plan.changes.find((x) => x.id === 'link:bond0')!;
    expect(c.action).toBe('update');
    expect(c.disruptive).toBe(true);
    const cmds = plan.operations.map((o) => o.args.join(' '));
    expect(cmds.indexOf('link set dev eth0 nomaster')).toBeLessThan(
      cmds.indexOf('link set dev bond0 type bond mode 802.3ad'),
    );
    expect(cmds.indexOf('link set dev bond0 down')).toBeLessThan(
      cmds.indexOf('link set dev bond0 type bond mode 802.3ad'),
    );
    expect(cmds.lastIndexOf('link set dev eth0 down master bond0')).toBeGreaterThan(
      cmds.indexOf('link set dev bond0 type bond mode 802.3ad'),
    );
    await converge(f, ns);
    l = links(ns);
    expect(l.get('bond0').linkinfo.info_data.mode).toBe('802.3ad');
    expect(l.get('eth0').master).toBe('bond0');
    expect(
      ipJson<any[]>(ns, 'addr', 'show', 'dev', 'bond0')[0].addr_info.some((a: any) => a.local === '192.0.2.1'),
    ).toBe(true);

    await converge(tempFile('e.yaml', 'version: 1\n'), ns);
    l = links(ns);
    expect(l.has('bond0')).toBe(false);
    expect(l.get('eth0').master).toBeUndefined();
  });

  it('vlan and dummy: create, update in place, replace on id change, delete; fallback devices untouched', async () => {
    const ns = newNetns('vlan');
    const file = (id: number, mtu: number) =>
      tempFile(
        'v.yaml',
        `version: 1\ninterfaces:\n  d0: {kind: dummy, mtu: ${mtu}}\n  d0.v: {kind: vlan, link: d0, id: ${id}, addresses: [192.0.2.1/24]}\n  g1: {kind: gre, remote: 198.51.100.2, local: 198.51.100.1, key: 7, ttl: 64}\n`,
      );
    await converge(file(8, 1500), ns);
    expect(links(ns).get('d0.v').linkinfo.info_data.id).toBe(8);
    await converge(file(8, 1400), ns);
    expect(links(ns).get('d0').mtu).toBe(1400);
    const { plan } = await planFile(file(9, 1400), ns);
    const c = plan.changes.find((x) => x.id === 'link:d0.v')!;
    expect(c.action).toBe('replace');
    expect(c.disruptive).toBe(true);
    expect(plan.changes.find((x) => x.id === 'address:d0.v:192.0.2.1/24')?.action).toBe('replace');
    await converge(file(9, 1400), ns);
    expect(links(ns).get('d0.v').linkinfo.info_data.id).toBe(9);
    // gre0 / gretap0 / erspan0 appeared with ip_gre: never drift, never deleted.
    expect(links(ns).has('gre0')).toBe(true);
    await converge(tempFile('e.yaml', 'version: 1\n'), ns);
    const left = [...links(ns).keys()].sort();
    expect(
      left.filter(
        (n) =>
          !['lo', 'gre0', 'gretap0', 'erspan0', 'ip6gre0', 'ip6tnl0', 'sit0', 'tunl0', 'ip_vti0', 'ip6_vti0'].includes(
            n,
          ),
      ),
    ).toEqual([]);
  });

  it('gre: ttl changes in place, a key change is a replace', async () => {
    const ns = newNetns('gre');
    const file = (key: number, ttl: number) =>
      tempFile(
        'g.yaml',
        `version: 1\ninterfaces:\n  g1: {kind: gre, remote: 198.51.100.2, local: 198.51.100.1, key: ${key}, ttl: ${ttl}}\n  gt1: {kind: gretap, remote: 198.51.100.3, local: 198.51.100.1, key: ${key}}\n`,
      );
    await converge(file(1, 64), ns);
    let { plan } = await planFile(file(1, 32), ns);
    expect(plan.changes.find((c) => c.id === 'link:g1')?.action).toBe('update');
    await converge(file(1, 32), ns);
    expect(links(ns).get('g1').linkinfo.info_data.ttl).toBe(32);
    ({ plan } = await planFile(file(2, 32), ns));
    expect(plan.changes.find((c) => c.id === 'link:g1')?.action).toBe('replace');
    await converge(file(2, 32), ns);
    expect(links(ns).get('gt1').linkinfo.info_data.ikey).toBe('0.0.0.2');
  });

  it('a failure midway (VLAN id already taken on the parent) restores the namespace', () => {
    const ns = newNetns('vfault');
    ip('-n', ns, 'link', 'add', 'd0', 'type', 'dummy');
    ip('-n', ns, 'link', 'add', 'link', 'd0', 'name', 'theirs', 'type', 'vlan', 'id', '5');
    const before = [...links(ns).values()].map((l) => `${l.ifname}:${l.ifalias ?? ''}:${l.master ?? ''}`).sort();
    const f = tempFile(
      'f.yaml',
      `version: 1\ninterfaces:\n  d0: {kind: ethernet}\n  bond9: {kind: bond, mode: active-backup}\n  br9: {kind: bridge, ports: [d0.5], addresses: [192.0.2.1/24]}\n  d0.5: {kind: vlan, link: d0, id: 5}\n`,
    );
    const r = nethost('apply', f, '--netns', ns, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: ip -n \S+ link add name d0.5 link d0 type vlan/);
    expect(r.stderr).toMatch(/previous state restored and verified/);
    expect([...links(ns).values()].map((l) => `${l.ifname}:${l.ifalias ?? ''}:${l.master ?? ''}`).sort()).toEqual(
      before,
    );
  });

  it('rejects the reserved fallback names', () => {
    const r = nethost(
      'validate',
      tempFile('r.yaml', 'version: 1\ninterfaces:\n  gre0: {kind: gre, remote: 198.51.100.2}\n'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/r\.yaml:3:3: error: .*reserved/);
  });
});

describe('traffic', () => {
  it('the KVM host stack: a VLAN on an active-backup bond carries pings, and keeps doing so when a port goes down', () => {
    const host = newNetns('kvm');
    const sw = newNetns('kvmsw');
    ip('-n', host, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x0', 'netns', sw);
    ip('-n', host, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'x1', 'netns', sw);
    // The other side: its own bond + VLAN 8 (a switch with a LAG and a host on VLAN 8).
    for (const args of [
      ['link', 'add', 'sb', 'type', 'bond', 'mode', 'active-backup', 'miimon', '100'],
      ['link', 'set', 'x0', 'master', 'sb'],
      ['link', 'set', 'x1', 'master', 'sb'],
      ['link', 'add', 'link', 'sb', 'name', 'sb.8', 'type', 'vlan', 'id', '8'],
      ['addr', 'add', '192.0.2.20/24', 'dev', 'sb.8'],
      ['link', 'set', 'x0', 'up'],
      ['link', 'set', 'x1', 'up'],
      ['link', 'set', 'sb', 'up'],
      ['link', 'set', 'sb.8', 'up'],
    ])
      ip('-n', sw, ...args);
    const r = nethost('apply', 'examples/kvm-host-stack.yaml', '--netns', host, '--yes');
    expect(r.code, r.stderr).toBe(0);
    const again = nethost('plan', 'examples/kvm-host-stack.yaml', '--netns', host);
    expect(again.code, again.stdout).toBe(0);
    expect(ping(host, '192.0.2.20').status).toBe(0);
    ip('-n', host, 'link', 'set', 'eth0', 'down');
    spawnSync('sleep', ['1']);
    const after = ping(host, '192.0.2.20');
    expect(after.status, after.stdout).toBe(0);
    expect(links(host).get('bond0').linkinfo.info_data.active_slave).toBe('eth1');
  });

  it('the GRE mesh: keyed GRE, bridged gretap and multicast GRE with permanent neighbours all carry pings', () => {
    const hub = newNetns('hub');
    const s2 = newNetns('s2');
    const s3 = newNetns('s3');
    const sw = newNetns('gsw');
    ip('-n', sw, 'link', 'add', 'name', 'swbr', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'dev', 'swbr', 'up');
    const cable = (ns: string, name: string, i: number) => {
      ip('-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `sw${i}`, 'netns', sw);
      ip('-n', sw, 'link', 'set', 'dev', `sw${i}`, 'master', 'swbr', 'up');
    };
    cable(hub, 'uplink', 1);
    cable(s2, 'u', 2);
    cable(s3, 'u', 3);
    const cmds = (ns: string, list: string[][]) => list.forEach((a) => ip('-n', ns, ...a));
    cmds(s2, [
      ['addr', 'add', '198.51.100.2/24', 'dev', 'u'],
      ['link', 'set', 'u', 'up'],
      [
        'link',
        'add',
        'g1',
        'type',
        'gre',
        'local',
        '198.51.100.2',
        'remote',
        '198.51.100.1',
        'key',
        '1001',
        'ttl',
        '64',
      ],
      ['addr', 'add', '203.0.113.2/30', 'dev', 'g1'],
      ['link', 'set', 'g1', 'up'],
      ['link', 'add', 'mg', 'type', 'gre', 'local', '198.51.100.2', 'key', '1003', 'ttl', '64'],
      ['addr', 'add', '203.0.113.130/25', 'dev', 'mg'],
      ['link', 'set', 'mg', 'up'],
      ['neigh', 'replace', '203.0.113.129', 'lladdr', '198.51.100.1', 'dev', 'mg', 'nud', 'permanent'],
    ]);
    cmds(s3, [
      ['addr', 'add', '198.51.100.3/24', 'dev', 'u'],
      ['link', 'set', 'u', 'up'],
      ['link', 'add', 'gt', 'type', 'gretap', 'local', '198.51.100.3', 'remote', '198.51.100.1', 'key', '1002'],
      ['addr', 'add', '192.0.2.3/24', 'dev', 'gt'],
      ['link', 'set', 'gt', 'up'],
    ]);
    const r = nethost('apply', 'examples/gre-mesh.yaml', '--netns', hub, '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(nethost('drift-check', 'examples/gre-mesh.yaml', '--netns', hub).code).toBe(0);
    for (const to of ['203.0.113.2', '192.0.2.3', '203.0.113.130']) {
      const p = ping(hub, to);
      expect(p.status, `${to}: ${p.stdout}${p.stderr}`).toBe(0);
    }
  });
});
