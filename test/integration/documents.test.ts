// The documents' own networks, built once by hand with `ip` and once by nethost in another namespace,
// compared field by field (test/helpers/compare.ts); then the second plan is empty and the plan against
// the hand-built namespace only adopts. With them, issue 9's findings on what nethost found: an
// adopted device released as it was found, `addresses:` absent, lo's host-scope addresses, the
// kernel's own routes never taken over, a neighbour's protocol given back. GRE and bonds: the lab
// (test/lab/documents.lab.test.ts).
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteAllNetns, ip, ipJson, links, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { expectSameNetwork } from '../helpers/compare.js';
import { loadFile, readLive } from '../../src/engine/index.js';
import { readHostFacts } from '../../src/live/read.js';
import { diff } from '../../src/diff/diff.js';
import { buildPlan } from '../../src/plan/plan.js';
import { execute } from '../../src/engine/execute.js';

afterAll(() => deleteAllNetns());

const ping = (ns: string, to: string) =>
  spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.3', '-W', '2', to], { encoding: 'utf8' });
const run = (ns: string, cmds: string[][]) => cmds.forEach((c) => ip('-n', ns, ...c));

function apply(file: string, ns: string) {
  const r = nethost('apply', file, '--netns', ns, '--yes');
  expect(r.code, r.stdout + r.stderr).toBe(0);
}
function planIsEmpty(file: string, ns: string) {
  const r = nethost('plan', file, '--netns', ns);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}
/** The plan against a namespace built by hand: every change adopts (nothing is created or rewritten). */
function onlyAdopts(file: string, ns: string) {
  const r = nethost('plan', file, '--netns', ns, '--json');
  expect(r.code, r.stderr).toBe(2);
  const changes = JSON.parse(r.stdout).changes as { action: string; id: string; attributes: { name: string }[] }[];
  expect(changes.length).toBeGreaterThan(0);
  for (const c of changes) {
    expect(c.action, c.id).toBe('adopt');
    // adopting changes the ownership mark, and the state of a link a person left down
    expect(
      c.attributes.map((a) => a.name).filter((n) => n !== 'mark' && n !== 'state'),
      c.id,
    ).toEqual([]);
  }
}

describe('a namespace\'s veth end with a peer address (the "Network namespaces" slide)', () => {
  // ip link add veth0 type veth peer name veth1 netns NS; ip addr add A peer B dev veth0; in NS the
  // mirror image and a default route via the host's end.
  const hostFile = (ns: string) =>
    tempFile(
      'host.yaml',
      `version: 1\ninterfaces:\n  veth0: {kind: veth, peer: veth1, peer_netns: ${ns}, addresses: ["192.0.2.1 peer 192.0.2.2"]}\n`,
    );

  it('by hand and by nethost the same; pings both ways; the second plans are empty; against the hand-built ones, only adoption', () => {
    const handHost = newNetns('hh');
    const hand = newNetns('hn');
    run(handHost, [
      ['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', hand],
      ['addr', 'add', '192.0.2.1', 'peer', '192.0.2.2', 'dev', 'veth0'],
      ['link', 'set', 'veth0', 'up'],
    ]);
    run(hand, [
      ['addr', 'add', '192.0.2.2', 'peer', '192.0.2.1', 'dev', 'veth1'],
      ['link', 'set', 'veth1', 'up'],
      ['route', 'add', 'default', 'via', '192.0.2.1'],
    ]);

    const nhHost = newNetns('nh');
    const nh = newNetns('nn');
    apply(hostFile(nh), nhHost);
    apply('examples/netns-veth-peer.yaml', nh);

    expectSameNetwork(handHost, nhHost);
    expectSameNetwork(hand, nh);
    expect(ping(nh, '192.0.2.1').status).toBe(0);
    expect(ping(nhHost, '192.0.2.2').status).toBe(0);
    // the kernel's own route to the peer stays the kernel's
    expect(ipJson<any[]>(nh, 'route', 'show', '192.0.2.1')).toEqual([
      expect.objectContaining({ dev: 'veth1', protocol: 'kernel' }),
    ]);

    planIsEmpty(hostFile(nh), nhHost);
    planIsEmpty('examples/netns-veth-peer.yaml', nh);
    onlyAdopts(hostFile(hand), handHost);
    onlyAdopts('examples/netns-veth-peer.yaml', hand);
  });
});

describe("anycast /32s on lo beside the kernel's 127.0.0.1/8, and the forwarding sysctls", () => {
  const SYSCTLS = ['net.ipv4.conf.all.forwarding', 'net.ipv6.conf.all.forwarding'];
  const cable = (ns: string, names: string[]) => {
    const far = newNetns('far');
    names.forEach((n, i) => ip('-n', ns, 'link', 'add', n, 'type', 'veth', 'peer', 'name', `x${i}`, 'netns', far));
  };

  it('anycast-lo.yaml: by hand and by nethost the same; second plan empty; against the hand-built one, only adoption', () => {
    const hand = newNetns('ah');
    cable(hand, ['uplink']);
    run(hand, [
      ['link', 'set', 'lo', 'up'],
      ['addr', 'add', '192.0.2.53/32', 'dev', 'lo'],
      ['addr', 'add', '192.0.2.123/32', 'dev', 'lo'],
      ['addr', 'add', '2001:db8::53/128', 'dev', 'lo'],
      ['addr', 'add', '198.51.100.10/24', 'dev', 'uplink'],
      ['addr', 'add', '2001:db8:100::10/64', 'dev', 'uplink'],
      ['link', 'set', 'uplink', 'up'],
      ['route', 'add', 'default', 'via', '198.51.100.1', 'proto', 'static'],
    ]);
    const nh = newNetns('an');
    cable(nh, ['uplink']);
    apply('examples/anycast-lo.yaml', nh);
    expectSameNetwork(hand, nh);
    expect(
      ipJson<any[]>(nh, 'addr', 'show', 'dev', 'lo')[0].addr_info.map((a: any) => `${a.local}/${a.prefixlen}`),
    ).toEqual(expect.arrayContaining(['127.0.0.1/8', '::1/128', '192.0.2.53/32']));
    planIsEmpty('examples/anycast-lo.yaml', nh);
    onlyAdopts('examples/anycast-lo.yaml', hand);
    // a route a person wrote `proto static` is adopted as nethost's: the plan says so in words
    expect(nethost('plan', 'examples/anycast-lo.yaml', '--netns', hand).stdout).toMatch(
      /& route default .*\n\s+proto static → nethost/,
    );
  });

  it('router-forwarding.yaml: by hand and by nethost the same, the sysctls included', () => {
    const hand = newNetns('rh');
    cable(hand, ['lan0', 'wan0']);
    run(hand, [
      ['addr', 'add', '192.0.2.1/24', 'dev', 'lan0'],
      ['addr', 'add', '2001:db8:1::1/64', 'dev', 'lan0'],
      ['addr', 'add', '198.51.100.2/24', 'dev', 'wan0'],
      ['addr', 'add', '2001:db8:100::2/64', 'dev', 'wan0'],
      ['link', 'set', 'lan0', 'up'],
      ['link', 'set', 'wan0', 'up'],
      ['route', 'add', 'default', 'via', '198.51.100.1'],
      ['-6', 'route', 'add', 'default', 'via', '2001:db8:100::1'],
    ]);
    spawnSync('ip', [
      'netns',
      'exec',
      hand,
      'sysctl',
      '-q',
      '-w',
      'net.ipv4.conf.all.forwarding=1',
      'net.ipv6.conf.all.forwarding=1',
    ]);
    const nh = newNetns('rn');
    cable(nh, ['lan0', 'wan0']);
    apply('examples/router-forwarding.yaml', nh);
    expectSameNetwork(hand, nh, SYSCTLS);
    planIsEmpty('examples/router-forwarding.yaml', nh);
    onlyAdopts('examples/router-forwarding.yaml', hand);
  });
});

describe("bridge ports in the file's order", () => {
  it('ports: [vx0, tap0] gives vx0 port 1, as `ip link set … master` in that order does', () => {
    const file = tempFile(
      'br.yaml',
      'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [vx0, tap0]}\n  vx0: {kind: vxlan, vni: 5, remote: 203.0.113.7}\n  tap0: {kind: tap}\n',
    );
    const hand = newNetns('bh');
    run(hand, [
      ['link', 'add', 'br0', 'type', 'bridge'],
      ['link', 'add', 'vx0', 'type', 'vxlan', 'id', '5', 'remote', '203.0.113.7', 'dstport', '4789'],
      ['tuntap', 'add', 'mode', 'tap', 'name', 'tap0'],
      ['link', 'set', 'vx0', 'master', 'br0'],
      ['link', 'set', 'tap0', 'master', 'br0'],
      ['link', 'set', 'br0', 'up'],
      ['link', 'set', 'vx0', 'up'],
      ['link', 'set', 'tap0', 'up'],
    ]);
    const nh = newNetns('bn');
    apply(file, nh);
    expect(links(nh).get('vx0').linkinfo.info_slave_data.no).toBe('0x1');
    expect(links(nh).get('tap0').linkinfo.info_slave_data.no).toBe('0x2');
    expectSameNetwork(hand, nh);
    planIsEmpty(file, nh);
    onlyAdopts(file, hand);
  });
});

describe('what nethost found stays as it was found', () => {
  it("an adopted device, released, keeps the address it had and the foreign route over it; nethost's own address goes", () => {
    const ns = newNetns('rel');
    const far = newNetns('relp');
    ip('-n', ns, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'x', 'netns', far);
    run(ns, [
      ['addr', 'add', '198.51.100.1/24', 'dev', 'up0'],
      ['link', 'set', 'up0', 'up'],
      ['route', 'add', 'default', 'via', '198.51.100.254', 'proto', 'static'],
    ]);
    apply(
      tempFile(
        'a.yaml',
        'version: 1\ninterfaces:\n  up0: {kind: ethernet, addresses: [198.51.100.1/24, 203.0.113.1/24]}\n',
      ),
      ns,
    );
    expect(links(ns).get('up0').ifalias).toBe('nethost:existing;keep=198.51.100.1');
    apply(tempFile('e.yaml', 'version: 1\n'), ns);
    expect(
      ipJson<any[]>(ns, '-4', 'addr', 'show', 'dev', 'up0')[0].addr_info.map((a: any) => `${a.local}/${a.prefixlen}`),
    ).toEqual(['198.51.100.1/24']);
    expect(ipJson<any[]>(ns, 'route', 'show', 'default')).toEqual([
      expect.objectContaining({ gateway: '198.51.100.254', protocol: 'static' }),
    ]);
    expect(links(ns).get('up0').ifalias).toBeUndefined();
  });

  it("an adopted device's own alias is kept in the mark and put back when it is released, also by a rollback", () => {
    const ns = newNetns('relalias');
    ip('-n', ns, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'x');
    ip('-n', ns, 'link', 'set', 'up0', 'alias', 'rack 3 uplink');
    const adopt = tempFile('a.yaml', 'version: 1\ninterfaces:\n  up0: {kind: ethernet, mtu: 1400}\n');
    const plan = nethost('plan', adopt, '--netns', ns);
    expect(plan.stdout).toContain('replacing its alias "rack 3 uplink"');
    apply(adopt, ns);
    expect(links(ns).get('up0').ifalias).toBe('nethost:existing;alias=rack 3 uplink');
    planIsEmpty(adopt, ns);
    // A release whose apply fails afterwards (a bridge whose port is refused): the mark and its alias are back.
    const failing = tempFile('f.yaml', 'version: 1\ninterfaces:\n  br9: {kind: bridge, ports: [lo]}\n');
    const r = nethost('apply', failing, '--netns', ns, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(links(ns).get('up0').ifalias).toBe('nethost:existing;alias=rack 3 uplink');
    const release = tempFile('e.yaml', 'version: 1\n');
    expect(nethost('plan', release, '--netns', ns).stdout).toContain('its alias goes back to "rack 3 uplink"');
    apply(release, ns);
    expect(links(ns).get('up0').ifalias).toBe('rack 3 uplink');
    expect(links(ns).get('up0').mtu).toBe(1400);
  });

  it("`{kind: ethernet}` without `addresses:` leaves the device's addresses alone; `addresses: []` removes them", () => {
    const ns = newNetns('noaddr');
    ip('-n', ns, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'x');
    run(ns, [
      ['addr', 'add', '198.51.100.1/24', 'dev', 'up0'],
      ['addr', 'add', '2001:db8::1/64', 'dev', 'up0'],
    ]);
    const statics = () =>
      ipJson<any[]>(ns, 'addr', 'show', 'dev', 'up0')[0]
        .addr_info.filter((a: any) => a.scope !== 'link')
        .map((a: any) => a.local);
    apply(tempFile('a.yaml', 'version: 1\ninterfaces:\n  up0: {kind: ethernet}\n'), ns);
    expect(statics().sort()).toEqual(['198.51.100.1', '2001:db8::1']);
    apply(tempFile('n.yaml', 'version: 1\ninterfaces:\n  up0: {kind: ethernet, addresses: []}\n'), ns);
    expect(statics()).toEqual([]);
  });

  it('lo with 127.0.0.2/8 converges, and 127.0.0.1/8 is never touched', () => {
    const ns = newNetns('lo');
    const file = tempFile('lo.yaml', 'version: 1\ninterfaces:\n  lo: {kind: ethernet, addresses: [127.0.0.2/8]}\n');
    apply(file, ns);
    planIsEmpty(file, ns);
    const lo = () =>
      ipJson<any[]>(ns, '-4', 'addr', 'show', 'dev', 'lo')[0].addr_info.map(
        (a: any) => `${a.local}/${a.prefixlen} ${a.scope}`,
      );
    expect(lo()).toEqual(['127.0.0.1/8 host', '127.0.0.2/8 host']);
    apply(tempFile('e.yaml', 'version: 1\ninterfaces:\n  lo: {kind: ethernet, addresses: []}\n'), ns);
    expect(lo()).toEqual(['127.0.0.1/8 host']);
  });
});

describe("the kernel's own routes are never taken over", () => {
  it("a route a peer address makes, named in the file, stays the kernel's, also through a rollback", () => {
    const ns = newNetns('kr');
    ip('-n', ns, 'link', 'add', 'veth1', 'type', 'veth', 'peer', 'name', 'x');
    run(ns, [
      ['addr', 'add', '192.0.2.2', 'peer', '192.0.2.1', 'dev', 'veth1'],
      ['addr', 'add', '198.51.100.2/24', 'dev', 'x'],
      ['link', 'set', 'veth1', 'up'],
      ['link', 'set', 'x', 'up'],
    ]);
    const peerRoute = () => ipJson<any[]>(ns, 'route', 'show', '192.0.2.1');
    const routes = 'routes:\n  - {to: 192.0.2.1/32, dev: veth1}\n  - {to: 203.0.113.0/24, via: 192.0.2.1}\n';
    // The second route's gateway is on x, not on veth1: the kernel refuses it, after the first one's turn.
    const failing = tempFile(
      'f.yaml',
      'version: 1\ninterfaces:\n  veth1: {kind: ethernet}\nroutes:\n  - {to: 192.0.2.1/32, dev: veth1}\n  - {to: 203.0.113.0/24, via: 198.51.100.1, dev: veth1}\n',
    );
    const p = nethost('plan', failing, '--netns', ns, '--script');
    expect(p.stdout).not.toMatch(/route replace 192\.0\.2\.1/);
    const r = nethost('apply', failing, '--netns', ns, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: ip -n \S+ route replace 203\.0\.113\.0\/24|route replace 203\.0\.113\.0\/24/);
    expect(r.stderr).toMatch(/previous state restored and verified/);
    expect(peerRoute()).toEqual([expect.objectContaining({ dev: 'veth1', protocol: 'kernel' })]);

    const fine = tempFile('ok.yaml', `version: 1\ninterfaces:\n  veth1: {kind: ethernet}\n${routes}`);
    apply(fine, ns);
    planIsEmpty(fine, ns);
    expect(peerRoute()).toEqual([expect.objectContaining({ dev: 'veth1', protocol: 'kernel' })]);
    apply(tempFile('e.yaml', 'version: 1\n'), ns);
    expect(peerRoute()).toEqual([expect.objectContaining({ dev: 'veth1', protocol: 'kernel' })]);
  });
});

describe('a neighbour nethost did not create keeps its protocol when given back', () => {
  it('adopted (protocol 232), then the snapshot restored: no protocol again', async () => {
    const ns = newNetns('nb');
    ip('-n', ns, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'x');
    // up: a link the restore takes down would flush the entry, and hide what `neigh replace` keeps
    run(ns, [
      ['link', 'set', 'up0', 'up'],
      ['link', 'set', 'x', 'up'],
    ]);
    ip('-n', ns, 'neigh', 'add', '198.51.100.7', 'lladdr', '02:00:00:00:00:07', 'dev', 'up0', 'nud', 'permanent');
    const file = tempFile(
      'n.yaml',
      'version: 1\ninterfaces:\n  up0: {kind: ethernet}\nneighbors:\n  - {dev: up0, to: 198.51.100.7, lladdr: 02:00:00:00:00:07}\n',
    );
    const facts = await readHostFacts();
    const desired = await loadFile(file, facts);
    const snapshot = await readLive(ns, desired, facts);
    apply(file, ns);
    const neigh = () => ipJson<any[]>(ns, 'neigh', 'show', 'dev', 'up0').find((n) => n.dst === '198.51.100.7');
    expect(neigh().protocol).toBe('232');
    // What a rollback does: the snapshot as the target, for what the apply touched.
    const now = await readLive(ns, desired, facts);
    const target = { file: '(snapshot)', resources: snapshot.resources };
    const back = buildPlan(
      diff(target, now, { scope: new Set(['neighbor:up0:198.51.100.7', 'link:up0']) }),
      target,
      now,
    );
    expect(await execute(back.operations, ns)).toBeUndefined();
    expect(neigh()).toEqual({ dst: '198.51.100.7', lladdr: '02:00:00:00:00:07', state: ['PERMANENT'] });
    expect(links(ns).get('up0').ifalias).toBeUndefined();
  });
});
