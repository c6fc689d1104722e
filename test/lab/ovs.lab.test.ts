// Open vSwitch on the kernel datapath (the openvswitch module of Debian's kernel), in the kernel lab
// guest: the documents' triangle of three bridges joined by GRE and VXLAN tunnels
// (examples/ovs-triangle-1.yaml, examples/ovs-triangle-2.yaml, examples/ovs-triangle-3.yaml), each
// host a namespace with its own ovsdb-server/ovs-vswitchd and its eth0 on one shared wire: without
// STP one broadcast loops for ever (the underlay's packet counters explode), with `stp: true` (an
// update in place) the loop is cut and pings pass with bounded traffic. IPsec
// (examples/ovs-ipsec-gre.yaml) is refused before anything changes while ovs-monitor-ipsec is absent.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { deleteAllNetns, ip, ipJson, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { startOvs, stopAllOvs, type Ovs } from '../helpers/ovs.js';

requireLab();
beforeAll(() => {
  spawnSync('modprobe', ['openvswitch']);
});
afterAll(() => (stopAllOvs(), deleteAllNetns()));

const txPackets = (ns: string, dev: string) =>
  ipJson<any[]>(ns, '-s', 'link', 'show', dev)[0].stats64.tx.packets as number;
const sleep = (s: number) => spawnSync('sleep', [String(s)]);
const say = (s: string) => process.stderr.write(`ovs lab: ${s}\n`);
const apply = (ovs: Ovs, file: string) => nethost('apply', file, '--netns', ovs.netns, '--ovsdb', ovs.db, '--yes');

it('the triangle: a broadcast storm without STP, clean forwarding once stp: true is applied', () => {
  const wire = newNetns('wire');
  ip('-n', wire, 'link', 'add', 'name', 'wire0', 'type', 'bridge');
  ip('-n', wire, 'link', 'set', 'dev', 'wire0', 'up');
  const hosts = [1, 2, 3].map((n) => {
    const ns = newNetns(`h${n}`);
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `to${n}`, 'netns', wire);
    ip('-n', wire, 'link', 'set', 'dev', `to${n}`, 'master', 'wire0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return { ns, ovs: startOvs(ns), file: `examples/ovs-triangle-${n}.yaml` };
  });
  // Without STP: the loop.
  for (const h of hosts) {
    const r = apply(h.ovs, tempFile('nostp.yaml', readFileSync(h.file, 'utf8').replace('stp: true', 'stp: false')));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(h.ovs.rows('Bridge', 'testbr')[0].datapath_id).toMatch(/^[0-9a-f]{16}$/);
  }
  say('three bridges without STP applied');
  const start = txPackets(hosts[1].ns, 'eth0');
  spawnSync('ip', ['netns', 'exec', hosts[0].ns, 'ping', '-c', '1', '-W', '1', '192.0.2.99']); // one ARP broadcast
  let storm = 0;
  for (let i = 0; i < 60 && storm < 5000; i++) (storm = txPackets(hosts[1].ns, 'eth0') - start) < 5000 && sleep(0.5);
  expect(storm, 'packets host 2 sent on the underlay after one broadcast').toBeGreaterThanOrEqual(5000);
  say(`storm: ${storm} packets from host 2 after one broadcast`);
  // Cut the wire while STP goes on (under emulation the storm starves everything), then join again:
  // the loop is back, and STP must break it.
  ip('-n', wire, 'link', 'set', 'dev', 'wire0', 'down');

  // stp: true, as the documents' `ovs-vsctl set Bridge testbr stp_enable=true`.
  for (const h of hosts) {
    const plan = nethost('plan', h.file, '--netns', h.ns, '--ovsdb', h.ovs.db);
    expect(plan.stdout).toContain('stp false → true');
    expect(apply(h.ovs, h.file).code).toBe(0);
    expect(h.ovs.rows('Bridge', 'testbr')[0].stp_enable).toBe(true);
  }
  ip('-n', wire, 'link', 'set', 'dev', 'wire0', 'up');
  say('stp on, wire joined again');
  // STP listens and learns (2 × 15 s) before it forwards; one port of the triangle ends blocked.
  let blocked = false;
  for (let i = 0; i < 120 && !blocked; i++)
    (blocked = hosts.some((h) => /blocking/.test(h.ovs.appctl('stp/show', 'testbr')))) || sleep(1);
  expect(blocked).toBe(true);
  say('a port is blocking');
  let ok = false;
  for (let i = 0; i < 60 && !ok; i++)
    (ok = spawnSync('ip', ['netns', 'exec', hosts[0].ns, 'ping', '-c', '1', '-W', '1', '192.0.2.3']).status === 0) ||
      sleep(1);
  expect(ok).toBe(true);
  const before = txPackets(hosts[1].ns, 'eth0');
  expect(spawnSync('ip', ['netns', 'exec', hosts[0].ns, 'ping', '-c', '3', '-i', '0.3', '192.0.2.2']).status).toBe(0);
  expect(txPackets(hosts[1].ns, 'eth0') - before, 'no storm').toBeLessThan(500);
  for (const h of hosts) expect(nethost('plan', h.file, '--netns', h.ns, '--ovsdb', h.ovs.db).code).toBe(0);
}, 900_000);

it('IPsec GRE is refused before anything changes while ovs-monitor-ipsec does not answer', () => {
  const ns = newNetns('sec');
  const peer = newNetns('secp');
  ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x', 'netns', peer);
  const ovs = startOvs(ns);
  const before = ovs.vsctl('show');
  const r = nethost('apply', 'examples/ovs-ipsec-gre.yaml', '--netns', ns, '--ovsdb', ovs.db, '--yes');
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('IPsec tunnel ipsec0: ovs-monitor-ipsec does not answer');
  expect(ovs.vsctl('show')).toBe(before);
  expect(ipJson<any[]>(ns, 'addr', 'show', 'eth0')[0].addr_info ?? []).toEqual([]);
});
