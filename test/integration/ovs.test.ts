// Open vSwitch, end to end, on this machine's kernel (no OVS module): each test starts private
// ovsdb-server/ovs-vswitchd instances inside namespaces it created (test/helpers/ovs.ts), on the
// userspace datapath, and stops them by PID. "VMs" are namespaces behind veth pairs whose other end
// is an OVS port in the switch's namespace: those ends carry no address, so the switch's own kernel
// stack cannot answer for a VM, and the only way between two VMs is through OVS; the tests also read
// OVS's own port counters to show the packets crossed it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteAllNetns, ip, links, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { startOvs, stopAllOvs, type Ovs } from '../helpers/ovs.js';

afterEach(() => stopAllOvs());
afterAll(() => deleteAllNetns());

/** A "VM": a namespace whose eth0 is the peer of `port` in the switch's namespace. */
function vm(sw: string, port: string, cidr: string): string {
  const ns = newNetns('vm');
  ip('-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
  // The switch's end is an OVS port and a kernel device of the switch's namespace: it must not answer
  // ARP for an internal port's address there (the answer would come around OVS).
  spawnSync('ip', ['netns', 'exec', sw, 'sysctl', '-q', '-w', `net.ipv4.conf.${port}.arp_ignore=8`], {
    stdio: 'inherit',
  });
  ip('-n', ns, 'addr', 'add', cidr, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  return ns;
}

const pingOnce = (ns: string, to: string) =>
  spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', to]).status === 0;
/** Pings until one answer (MAC learning, ARP, LACP may need a moment), at most `tries` times. */
function pings(ns: string, to: string, tries = 15): boolean {
  for (let i = 0; i < tries; i++) if (pingOnce(ns, to)) return true;
  return false;
}
const unreachable = (ns: string, to: string) =>
  spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.2', '-W', '1', to]).status !== 0;

/** Packets OVS sent out of a port: OpenFlow's live port counters (OVSDB's statistics column lags by seconds). */
function txPackets(ovs: Ovs, bridge: string, port: string): number {
  const out = spawnSync('ovs-ofctl', ['dump-ports', `unix:${ovs.dir}/${bridge}.mgmt`, port], {
    encoding: 'utf8',
  }).stdout;
  const m = /tx pkts=(\d+)/.exec(out);
  if (!m) throw new Error(`no counters for ${port} on ${bridge}: ${out}`);
  return Number(m[1]);
}

/** Whether a port's counter passes `before` within a few seconds: a tunnel port's counters are
 *  updated from the datapath's flow statistics, which a busy ovs-vswitchd gathers late. */
function sentMore(ovs: Ovs, bridge: string, port: string, before: number): boolean {
  for (let i = 0; i < 20; i++) {
    if (txPackets(ovs, bridge, port) > before) return true;
    spawnSync('sleep', ['0.5']);
  }
  return false;
}

/** OVSDB as it stands, for "nothing changed": rows of the three tables without run-time columns. */
const COLUMNS: Record<string, string> = {
  Bridge: 'name,datapath_type,stp_enable,rstp_enable,other_config,fail_mode,external_ids',
  Port: 'name,tag,trunks,bond_mode,lacp,other_config,external_ids',
  Interface: 'name,type,options,external_ids',
};
const ovsState = (ovs: Ovs) =>
  JSON.stringify(
    Object.entries(COLUMNS).map(([t, c]) =>
      JSON.parse(ovs.vsctl('--format=json', `--columns=${c}`, 'list', t))
        .data.map((r: unknown) => JSON.stringify(r))
        .sort(),
    ),
  );

const run = (ovs: Ovs, cmd: string, file: string, ...more: string[]) =>
  nethost(cmd, file, '--netns', ovs.netns, '--ovsdb', ovs.db, ...more);

describe('a switch with VM ports on VLANs and an internal port', () => {
  it('VLAN 10 pings, VLAN 20 is isolated, the internal port answers; drift, foreign ports and external_ids, delete, adopt', () => {
    const sw = newNetns('ovs');
    const ovs = startOvs(sw);
    const vm1 = vm(sw, 'p1', '192.0.2.11/24');
    const _vm2 = vm(sw, 'p2', '192.0.2.12/24');
    const vm3 = vm(sw, 'p3', '192.0.2.13/24');
    const file = (p3tag: number, extra = '') =>
      tempFile(
        'sw.yaml',
        `version: 1
interfaces:
  ovsbr0:
    kind: ovs-bridge
    datapath: netdev${extra}
    ports:
      p1: {tag: 10}
      p2: {tag: 10}
      p3: {tag: ${p3tag}}
      mgmt0: {tag: 10}
  p1: {kind: ethernet}
  p2: {kind: ethernet}
  p3: {kind: ethernet}
  mgmt0: {kind: ovs-internal, addresses: [192.0.2.1/24]}
`,
      );
    const f = file(20);
    const a = run(ovs, 'apply', f, '--yes');
    expect(a.code, a.stderr + a.stdout).toBe(0);
    expect(run(ovs, 'plan', f).code).toBe(0);
    // What OVSDB says, read directly.
    expect(ovs.rows('Port', 'p1')[0]).toMatchObject({ tag: 10, external_ids: { nethost: '1' } });
    expect(ovs.rows('Bridge', 'ovsbr0')[0]).toMatchObject({ datapath_type: 'netdev', external_ids: { nethost: '1' } });
    expect(ovs.rows('Interface', 'mgmt0')[0]).toMatchObject({
      type: 'internal',
      error: [],
      external_ids: { nethost: '1' },
    });
    expect(ovs.rows('Interface', 'p1')[0].external_ids).toEqual({ nethost: '1' });
    expect(links(sw).get('mgmt0').flags).toContain('UP');
    expect(links(sw).get('p1').master).toBeUndefined();

    const before = txPackets(ovs, 'ovsbr0', 'p2');
    expect(pings(vm1, '192.0.2.12')).toBe(true);
    expect(sentMore(ovs, 'ovsbr0', 'p2', before)).toBe(true);
    expect(unreachable(vm1, '192.0.2.13')).toBe(true);
    expect(pings(vm1, '192.0.2.1')).toBe(true);
    expect(unreachable(vm3, '192.0.2.1')).toBe(true);

    // Drift by hand; a foreign port and libvirt's external_ids key.
    ovs.vsctl('set', 'Port', 'p1', 'tag=11', 'external_ids:iface-id=vm-1');
    ip('-n', sw, 'tuntap', 'add', 'mode', 'tap', 'name', 'vnet3');
    ovs.vsctl('add-port', 'ovsbr0', 'vnet3');
    const d = run(ovs, 'drift-check', f);
    expect(d.code).toBe(2);
    expect(d.stdout).toContain('drift: OVS port p1 on ovsbr0: tag 11 → 10');
    expect(d.stdout).toContain('drift: foreign port vnet3 on ovsbr0, left alone');
    // Update: p3 moves to VLAN 10 and p1 is put back; vnet3 and iface-id stay.
    const f10 = file(10);
    const u = run(ovs, 'apply', f10, '--yes');
    expect(u.code, u.stderr).toBe(0);
    expect(ovs.rows('Port', 'p1')[0]).toMatchObject({ tag: 10, external_ids: { nethost: '1', 'iface-id': 'vm-1' } });
    expect(ovs.rows('Port', 'vnet3')).toHaveLength(1);
    expect(pings(vm3, '192.0.2.1')).toBe(true);
    expect(run(ovs, 'drift-check', tempFile('e.yaml', '')).code).toBe(1);
    expect(run(ovs, 'drift-check', file(10, '\n    foreign_ports: "^vnet[0-9]+$"')).code).toBe(0);

    // Deleting the bridge would take vnet3 with it: refused, nothing changed.
    const state = ovsState(ovs);
    const empty = tempFile('empty.yaml', 'version: 1\n');
    const del = run(ovs, 'apply', empty, '--yes');
    expect(del.code).toBe(1);
    expect(del.stderr).toContain('it carries port vnet3 that nethost did not add');
    expect(ovsState(ovs)).toBe(state);
    ovs.vsctl('del-port', 'ovsbr0', 'vnet3');
    const gone = run(ovs, 'apply', empty, '--yes');
    expect(gone.code, gone.stderr).toBe(0);
    expect(ovs.vsctl('list-br').trim()).toBe('');
    expect([...links(sw).keys()].sort()).toEqual(['lo', 'p1', 'p2', 'p3', 'vnet3']);

    // Adopt what the documents build by hand: ovs-vsctl add-br br0; ovs-vsctl add-port br0 eth0
    ovs.vsctl('add-br', 'br0', '--', 'set', 'Bridge', 'br0', 'datapath_type=netdev');
    ovs.vsctl('add-port', 'br0', 'p1');
    const adopt = tempFile(
      'adopt.yaml',
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [p1]}\n  p1: {kind: ethernet}\n',
    );
    const plan = run(ovs, 'plan', adopt);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/& ovs-bridge br0/);
    expect(plan.stdout).toMatch(/& OVS port p1 on br0/);
    expect(run(ovs, 'apply', adopt, '--yes').code).toBe(0);
    expect(ovs.rows('Port', 'p1')[0].external_ids).toEqual({ nethost: '1' });
    expect(run(ovs, 'plan', adopt).code).toBe(0);
  });
});

describe('faults', () => {
  it('a transaction OVSDB refuses (tag 5000) leaves nothing changed, kernel or OVS', async () => {
    const { applyPlan, loadFile, makePlan, readLive } = await import('../../src/engine/index.js');
    const { readHostFacts } = await import('../../src/live/read.js');
    const { kernelState } = await import('../helpers/state.js');
    const sw = newNetns('ovs');
    const ovs = startOvs(sw);
    const f = tempFile(
      'f.yaml',
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: {tap0: {tag: 10}, mgmt0: {}}}\n  tap0: {kind: tap}\n  mgmt0: {kind: ovs-internal, addresses: [192.0.2.1/24]}\n',
    );
    const facts = await readHostFacts();
    const options = { ovsdb: ovs.db };
    const kernel = kernelState(sw);
    const rows = ovsState(ovs);
    const desired = await loadFile(f, facts);
    const snapshot = await readLive(sw, desired, facts, [], options);
    const plan = makePlan(desired, snapshot);
    // Last in the OVS transaction: every row before it would be made, if OVSDB took any of it.
    const at = plan.operations.map((o) => o.backend).lastIndexOf('ovs') + 1;
    const refused = {
      resource: 'ovs-port:tap0',
      action: 'update' as const,
      phase: 'put' as const,
      backend: 'ovs',
      args: ['set', 'Port', 'tap0', 'tag=5000'],
      disruptive: false,
    };
    const faulty = { ...plan, operations: [...plan.operations.slice(0, at), refused, ...plan.operations.slice(at)] };
    await expect(applyPlan(faulty, desired, snapshot, facts, { options })).rejects.toThrow(
      /failed[\s\S]*5000 is not in the valid range[\s\S]*previous state restored and verified/,
    );
    expect(ovsState(ovs)).toBe(rows);
    expect(kernelState(sw)).toEqual(kernel);
  });

  it('a port ovs-vswitchd cannot build (ovs-vsctl exits 0) fails the apply and is rolled back', () => {
    const sw = newNetns('ovs');
    const ovs = startOvs(sw);
    const ok = tempFile(
      'a.yaml',
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [vx0]}\n  vx0: {kind: ovs-tunnel, type: vxlan, remote_ip: 198.51.100.3, key: 5000}\n',
    );
    expect(run(ovs, 'apply', ok, '--yes').code).toBe(0);
    const rows = ovsState(ovs);
    // Two tunnels with the same endpoints and key: OVSDB takes it, vswitchd cannot add the second.
    const twin = tempFile(
      'b.yaml',
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, stp: true, ports: [vx0, vx1]}\n  vx0: {kind: ovs-tunnel, type: vxlan, remote_ip: 198.51.100.3, key: 5000}\n  vx1: {kind: ovs-tunnel, type: vxlan, remote_ip: 198.51.100.3, key: 5000}\n',
    );
    const r = run(ovs, 'apply', twin, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ovs-vswitchd could not build interface vx1');
    expect(r.stderr).toContain('previous state restored and verified');
    expect(ovsState(ovs)).toBe(rows);
  });

  it('refuses clearly, before anything changes: no ovsdb-server, an instance of another namespace, a server that does not answer', () => {
    const sw = newNetns('ovs');
    const other = newNetns('ovs');
    const f = tempFile(
      'f.yaml',
      'version: 1\ninterfaces:\n  tap0: {kind: tap}\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [tap0]}\n',
    );
    const none = nethost('plan', f, '--netns', sw, '--ovsdb', 'unix:/nonexistent/db.sock');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no ovsdb-server listens at unix:/nonexistent/db.sock');
    const ovs = startOvs(other);
    const wrong = nethost('apply', f, '--netns', sw, '--ovsdb', ovs.db, '--yes');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/serves another network namespace than namespace nht-ovs-/);
    expect(links(sw).has('tap0')).toBe(false);
    expect(ovs.vsctl('list-br').trim()).toBe('');
    // A socket that takes the connection and never answers (a hung ovsdb-server), with a
    // vswitchd stand-in in the namespace: ovs-vsctl's --timeout ends the wait, with a sentence.
    const dir = mkdtempSync(join(tmpdir(), 'nht-hung-'));
    const server = createServer(() => {}).listen(join(dir, 'db.sock'));
    const standIn = spawn('ip', ['netns', 'exec', sw, 'sleep', '60'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(join(dir, 'db.sock')); i++) spawnSync('sleep', ['0.05']);
      for (let i = 0; i < 100 && !/sleep/.test(readFileSync(`/proc/${standIn.pid}/cmdline`, 'utf8')); i++)
        spawnSync('sleep', ['0.05']);
      writeFileSync(join(dir, 'ovs-vswitchd.pid'), `${standIn.pid}\n`);
      const hung = spawnSync(
        process.execPath,
        ['bin/run.js', 'plan', f, '--netns', sw, '--ovsdb', `unix:${dir}/db.sock`],
        { encoding: 'utf8', env: { ...process.env, NETHOST_OVS_TIMEOUT: '1' } },
      );
      expect(hung.status).toBe(1);
      expect(hung.stderr).toContain(
        `ovsdb-server at unix:${dir}/db.sock did not answer within 1 s; nothing was changed`,
      );
    } finally {
      standIn.kill('SIGKILL');
      server.close();
    }
    // A file without OVS never needs it.
    const plain = tempFile('p.yaml', 'version: 1\ninterfaces:\n  tap0: {kind: tap}\n');
    expect(nethost('apply', plain, '--netns', sw, '--ovsdb', 'unix:/nonexistent/db.sock', '--yes').code).toBe(0);
    expect(nethost('apply', plain, '--netns', sw, '--ovsdb', 'bad', '--yes').code).toBe(1);
  });
});

describe('ownership below the row: map keys and Interface rows', () => {
  it('nethost removes only the map keys it set (recorded in nethost-keys); keys set by hand survive every change, a rollback included, and are not drift', async () => {
    const sw = newNetns('ovs');
    const ovs = startOvs(sw);
    const file = (bridge: string, tunnel: string) =>
      tempFile(
        'k.yaml',
        `version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev${bridge}, ports: {tap0: {tag: 10}, vx0: {}}}\n  tap0: {kind: tap}\n  vx0: {kind: ovs-tunnel, type: vxlan, remote_ip: 198.51.100.3${tunnel}}\n`,
      );
    const f1 = file(', stp_priority: 4096', ', local_ip: 198.51.100.1, key: 7');
    const a = run(ovs, 'apply', f1, '--yes');
    expect(a.code, a.stderr).toBe(0);
    expect(ovs.rows('Bridge', 'br0')[0]).toMatchObject({
      other_config: { 'stp-priority': '4096' },
      external_ids: { nethost: '1', 'nethost-keys': 'other_config:stp-priority' },
    });
    expect(ovs.rows('Interface', 'vx0')[0].external_ids).toEqual({
      nethost: '1',
      'nethost-keys': 'options:key,options:local_ip,options:remote_ip',
    });
    // By hand: a key nethost never manages, and managed keys nethost did not set.
    ovs.vsctl('set', 'Bridge', 'br0', 'other_config:foo=bar', 'other_config:rstp-priority=8192');
    ovs.vsctl('set', 'Interface', 'vx0', 'options:tos=inherit', 'options:dst_port=4790');
    const d = run(ovs, 'drift-check', f1);
    expect(d.code, d.stdout).toBe(0);
    // The file drops stp_priority and local_ip and changes the key: only nethost's keys move.
    const f2 = file('', ', key: 8');
    const p = run(ovs, 'plan', f2);
    expect(p.stdout).toContain('stp_priority 4096 → 32768');
    expect(p.stdout).not.toContain('rstp');
    const u = run(ovs, 'apply', f2, '--yes');
    expect(u.code, u.stderr).toBe(0);
    const br = ovs.rows('Bridge', 'br0')[0];
    expect(br.other_config).toEqual({ foo: 'bar', 'rstp-priority': '8192' });
    expect(br.external_ids).toEqual({ nethost: '1' });
    const vx = ovs.rows('Interface', 'vx0')[0];
    expect(vx.options).toEqual({ remote_ip: '198.51.100.3', key: '8', tos: 'inherit', dst_port: '4790' });
    expect(vx.external_ids).toEqual({ nethost: '1', 'nethost-keys': 'options:key,options:remote_ip' });
    expect(run(ovs, 'drift-check', f2).code).toBe(0);

    // The file claims the hand-set rstp-priority with another value, and the apply fails after the
    // OVS transaction: the rollback writes 8192 back, unrecorded, as it was.
    const { applyPlan, loadFile, makePlan, readLive } = await import('../../src/engine/index.js');
    const { readHostFacts } = await import('../../src/live/read.js');
    const facts = await readHostFacts();
    const options = { ovsdb: ovs.db };
    const rows = ovsState(ovs);
    const desired = await loadFile(file(', rstp_priority: 12288', ', key: 8'), facts);
    const snapshot = await readLive(sw, desired, facts, [], options);
    const plan = makePlan(desired, snapshot);
    expect(plan.operations.map((o) => o.args.join(' '))).toContain(
      'set Bridge br0 other_config:rstp-priority=12288 external_ids:nethost-keys="other_config:rstp-priority"',
    );
    const refused = {
      resource: 'link:nht-absent',
      action: 'update' as const,
      phase: 'put' as const,
      backend: 'ip',
      args: ['link', 'set', 'dev', 'nht-absent', 'up'],
      disruptive: false,
    };
    await expect(
      applyPlan({ ...plan, operations: [...plan.operations, refused] }, desired, snapshot, facts, { options }),
    ).rejects.toThrow(/previous state restored and verified/);
    expect(ovsState(ovs)).toBe(rows);
    expect(ovs.rows('Bridge', 'br0')[0].other_config).toEqual({ foo: 'bar', 'rstp-priority': '8192' });
  });

  it("Interface rows nethost creates carry the mark; a member someone added to a bond of nethost's is never removed, and deleting the bond or its bridge is refused while it is there", () => {
    const sw = newNetns('ovs');
    const ovs = startOvs(sw);
    const file = (members: string, mode = '', bridge = true) =>
      tempFile(
        'b.yaml',
        `version: 1\ninterfaces:\n${bridge ? `  br0: {kind: ovs-bridge, datapath: netdev, ports: [${members ? 'bond1, ' : ''}mgmt0]}\n  mgmt0: {kind: ovs-internal}\n` : ''}${members ? `  bond1: {kind: ovs-bond, ports: [${members}]${mode}}\n` : ''}  m1: {kind: tap}\n  m2: {kind: tap}\n  m3: {kind: tap}\n`,
      );
    const f = file('m1, m2');
    const a = run(ovs, 'apply', f, '--yes');
    expect(a.code, a.stderr).toBe(0);
    for (const i of ['m1', 'm2', 'mgmt0'])
      expect(ovs.rows('Interface', i)[0].external_ids, i).toEqual({ nethost: '1' });
    // By hand: m3 joins nethost's bond. Reported, left alone, and kept through a change of the bond.
    ovs.vsctl('add-bond-iface', 'bond1', 'm3');
    const d = run(ovs, 'drift-check', f);
    expect(d.code).toBe(2);
    expect(d.stdout.trim().split('\n')).toEqual([
      "drift: foreign interface m3 on bond bond1, left alone (listing it in the bond's ports takes it over)",
    ]);
    const slb = file('m1, m2', ', bond_mode: balance-slb');
    const u = run(ovs, 'apply', slb, '--yes');
    expect(u.code, u.stderr).toBe(0);
    const members = () =>
      ovs
        .rows('Port', 'bond1')[0]
        .interfaces.map((x: string) => ovs.rows('Interface').find((i) => i._uuid === x)!.name)
        .sort();
    expect(members()).toEqual(['m1', 'm2', 'm3']);
    expect(ovs.rows('Interface', 'm3')[0].external_ids).toEqual({});
    // Removing the bond, or the whole bridge, would take m3: refused, nothing changed.
    const state = ovsState(ovs);
    const noBond = run(ovs, 'apply', file(''), '--yes');
    expect(noBond.code).toBe(1);
    expect(noBond.stderr).toContain(
      'OVS port bond1 is not in the file, but it carries interface m3 that nethost did not add',
    );
    const noBridge = run(ovs, 'apply', file('', '', false), '--yes');
    expect(noBridge.code).toBe(1);
    expect(noBridge.stderr).toContain(
      'OVS bridge br0 is not in the file, but it carries interface m3 (on bond1) that nethost did not add',
    );
    expect(ovsState(ovs)).toBe(state);
    // The file names m3: it is claimed (marked), not added twice; then dropping it removes it.
    const claim = run(ovs, 'apply', file('m1, m2, m3', ', bond_mode: balance-slb'), '--yes');
    expect(claim.code, claim.stderr).toBe(0);
    expect(ovs.rows('Interface', 'm3')[0].external_ids).toEqual({ nethost: '1' });
    expect(run(ovs, 'plan', file('m1, m2, m3', ', bond_mode: balance-slb')).code).toBe(0);
    expect(run(ovs, 'apply', slb, '--yes').code).toBe(0);
    expect(members()).toEqual(['m1', 'm2']);
    expect(run(ovs, 'apply', file(''), '--yes').code).toBe(0);
    expect(
      ovs
        .rows('Port')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['br0', 'mgmt0']);
  });
});

it('a pair of patch ports joins two bridges (a ping crosses it); vlan_mode is set, is drift when changed by hand, and is cleared', () => {
  const sw = newNetns('ovs');
  const ovs = startOvs(sw);
  const vm1 = vm(sw, 'pa', '192.0.2.71/24');
  vm(sw, 'pb', '192.0.2.72/24');
  const file = (mode: string, patch = true) =>
    tempFile(
      'p.yaml',
      `version: 1
interfaces:
  br-a: {kind: ovs-bridge, datapath: netdev, ports: {pa: {tag: 10}${patch ? `, p-ab: {trunks: [10]${mode}}` : ''}}}
  br-b: {kind: ovs-bridge, datapath: netdev, ports: {pb: {tag: 10}${patch ? ', p-ba: {trunks: [10]}' : ''}}}
  pa: {kind: ethernet}
  pb: {kind: ethernet}
${patch ? '  p-ab: {kind: ovs-patch, peer: p-ba}\n  p-ba: {kind: ovs-patch, peer: p-ab}\n' : ''}`,
    );
  const f = file(', vlan_mode: trunk');
  const a = run(ovs, 'apply', f, '--yes');
  expect(a.code, a.stderr + a.stdout).toBe(0);
  expect(ovs.rows('Interface', 'p-ab')[0]).toMatchObject({
    type: 'patch',
    options: { peer: 'p-ba' },
    external_ids: { nethost: '1', 'nethost-keys': 'options:peer' },
  });
  expect(ovs.rows('Port', 'p-ab')[0]).toMatchObject({ vlan_mode: 'trunk', trunks: 10 });
  expect(run(ovs, 'plan', f).code).toBe(0);
  const before = txPackets(ovs, 'br-a', 'p-ab');
  expect(pings(vm1, '192.0.2.72')).toBe(true);
  expect(sentMore(ovs, 'br-a', 'p-ab', before)).toBe(true);
  // By hand: another vlan_mode, and the patch pointed elsewhere: both are drift.
  ovs.vsctl(
    'set',
    'Port',
    'p-ab',
    'vlan_mode=native-untagged',
    '--',
    'set',
    'Interface',
    'p-ba',
    'options:peer=nowhere',
  );
  const d = run(ovs, 'drift-check', f);
  expect(d.code).toBe(2);
  expect(d.stdout).toContain('vlan_mode native-untagged → trunk');
  expect(d.stdout).toContain('peer nowhere → p-ab');
  // Without vlan_mode the column is cleared (OVS's default: a trunk, as it has no tag).
  const u = run(ovs, 'apply', file(''), '--yes');
  expect(u.code, u.stderr).toBe(0);
  expect(ovs.rows('Port', 'p-ab')[0].vlan_mode).toEqual([]);
  expect(ovs.rows('Interface', 'p-ba')[0].options).toEqual({ peer: 'p-ab' });
  expect(pings(vm1, '192.0.2.72')).toBe(true);
  // The pair removed: the bridges are apart.
  const gone = run(ovs, 'apply', file('', false), '--yes');
  expect(gone.code, gone.stderr).toBe(0);
  expect(
    ovs
      .rows('Interface')
      .map((i) => i.name)
      .sort(),
  ).toEqual(['br-a', 'br-b', 'pa', 'pb']);
  expect(unreachable(vm1, '192.0.2.72')).toBe(true);
});

it("an internal port's mtu and mac are set through OVSDB (mtu_request, mac): on the kernel device, drift when changed, updated in place, and a rollback puts the device back", async () => {
  const sw = newNetns('ovs');
  const ovs = startOvs(sw);
  const file = (internal: string) =>
    tempFile(
      'i.yaml',
      `version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [mgmt0]}\n  mgmt0: {kind: ovs-internal${internal}, addresses: [192.0.2.1/24]}\n`,
    );
  const dev = () => links(sw).get('mgmt0');
  expect(run(ovs, 'apply', file(''), '--yes').code).toBe(0);
  const { address, mtu } = dev();
  expect(mtu).toBe(1500);
  // A failed apply of mtu and mac: OVSDB and the device are as they were (clearing mtu_request
  // alone would leave the device at 1400).
  const { applyPlan, loadFile, makePlan, readLive } = await import('../../src/engine/index.js');
  const { readHostFacts } = await import('../../src/live/read.js');
  const { kernelState } = await import('../helpers/state.js');
  const facts = await readHostFacts();
  const options = { ovsdb: ovs.db };
  const f = file(', mtu: 1400, mac: "00:00:5E:00:53:01"');
  const rows = ovsState(ovs);
  const kernel = kernelState(sw);
  const desired = await loadFile(f, facts);
  const snapshot = await readLive(sw, desired, facts, [], options);
  const refused = {
    resource: 'link:nht-absent',
    action: 'update' as const,
    phase: 'put' as const,
    backend: 'ip',
    args: ['link', 'set', 'dev', 'nht-absent', 'up'],
    disruptive: false,
  };
  const plan = makePlan(desired, snapshot);
  await expect(
    applyPlan({ ...plan, operations: [...plan.operations, refused] }, desired, snapshot, facts, { options }),
  ).rejects.toThrow(/previous state restored and verified/);
  expect(ovsState(ovs)).toBe(rows);
  expect(dev()).toMatchObject({ mtu: 1500, address });
  expect(kernelState(sw)).toEqual(kernel);
  const a = run(ovs, 'apply', f, '--yes');
  expect(a.code, a.stderr + a.stdout).toBe(0);
  expect(ovs.rows('Interface', 'mgmt0')[0]).toMatchObject({ mtu_request: 1400, mac: '00:00:5e:00:53:01' });
  expect(dev()).toMatchObject({ mtu: 1400, address: '00:00:5e:00:53:01' });
  expect(run(ovs, 'plan', f).code).toBe(0);
  ovs.vsctl('set', 'Interface', 'mgmt0', 'mtu_request=1300');
  const d = run(ovs, 'drift-check', f);
  expect(d.code).toBe(2);
  expect(d.stdout).toContain('mtu 1300 → 1400');
  // A new mtu in place; without mac in the file the MAC is not managed: it stays.
  const g = file(', mtu: 1450');
  const u = run(ovs, 'apply', g, '--yes');
  expect(u.code, u.stderr).toBe(0);
  expect(ovs.rows('Interface', 'mgmt0')[0]).toMatchObject({ mtu_request: 1450, mac: '00:00:5e:00:53:01' });
  expect(dev()).toMatchObject({ mtu: 1450, address: '00:00:5e:00:53:01' });
  expect(run(ovs, 'plan', g).code).toBe(0);
});

/** Two switches (each its own OVS in its own namespace) joined by a veth pair `wire` ↔ `wire`. */
function twoSwitches() {
  const s1 = newNetns('ovs');
  const s2 = newNetns('ovs');
  ip('-n', s1, 'link', 'add', 'name', 'wire', 'type', 'veth', 'peer', 'name', 'wire', 'netns', s2);
  // `wire` is an OVS port and still a kernel device of its namespace: it must not answer ARP for an
  // address of the namespace (br-phy's underlay address) around OVS.
  for (const ns of [s1, s2])
    spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.wire.arp_ignore=8'], {
      stdio: 'inherit',
    });
  return { s1, s2, o1: startOvs(s1), o2: startOvs(s2) };
}

it('a trunk carries VLANs 10 and 20 between two switches; trunks: [20] then stops VLAN 10', () => {
  const { s1, s2, o1, o2 } = twoSwitches();
  const vmA1 = vm(s1, 'pa', '192.0.2.21/24');
  vm(s2, 'pa', '192.0.2.22/24');
  const vmC1 = vm(s1, 'pc', '192.0.2.31/24');
  vm(s2, 'pc', '192.0.2.32/24');
  const file = (trunks: string) =>
    tempFile(
      't.yaml',
      `version: 1\ninterfaces:\n  br0:\n    kind: ovs-bridge\n    datapath: netdev\n    ports:\n      wire: {trunks: ${trunks}}\n      pa: {tag: 10}\n      pc: {tag: 20}\n  wire: {kind: ethernet}\n  pa: {kind: ethernet}\n  pc: {kind: ethernet}\n`,
    );
  const both = file('[10, 20]');
  for (const o of [o1, o2]) expect(run(o, 'apply', both, '--yes').code).toBe(0);
  const before = txPackets(o1, 'br0', 'wire');
  expect(pings(vmA1, '192.0.2.22')).toBe(true);
  expect(pings(vmC1, '192.0.2.32')).toBe(true);
  expect(sentMore(o1, 'br0', 'wire', before)).toBe(true);
  expect(unreachable(vmA1, '192.0.2.32')).toBe(true);
  const only20 = file('[20]');
  const u = run(o1, 'plan', only20);
  expect(u.stdout).toContain('trunks [10, 20] → [20]');
  expect(run(o1, 'apply', only20, '--yes').code).toBe(0);
  expect(o1.rows('Port', 'wire')[0].trunks).toBe(20);
  expect(unreachable(vmA1, '192.0.2.22')).toBe(true);
  expect(pings(vmC1, '192.0.2.32')).toBe(true);
  void s2;
});

it('VXLAN, then GRE (an update in place), between two OVS instances carry a ping', () => {
  const { s1, s2, o1, o2 } = twoSwitches();
  const vm1 = vm(s1, 'v', '192.0.2.51/24');
  vm(s2, 'v', '192.0.2.52/24');
  // Userspace tunnels leave through a bridge that holds the underlay address (br-phy).
  const file = (me: number, peer: number, tunnel: string) =>
    tempFile(
      'x.yaml',
      `version: 1
interfaces:
  br-phy: {kind: ovs-bridge, datapath: netdev, ports: [wire], addresses: [198.51.100.${me}/24]}
  wire: {kind: ethernet}
  br-int: {kind: ovs-bridge, datapath: netdev, ports: [v, tun0]}
  v: {kind: ethernet}
  tun0: {kind: ovs-tunnel, ${tunnel}, remote_ip: 198.51.100.${peer}, local_ip: 198.51.100.${me}}
`,
    );
  for (const tunnel of ['type: vxlan, key: 100', 'type: gre, key: 42']) {
    const r1 = run(o1, 'apply', file(1, 2, tunnel), '--yes');
    expect(r1.code, r1.stderr + r1.stdout).toBe(0);
    expect(run(o2, 'apply', file(2, 1, tunnel), '--yes').code).toBe(0);
    expect(o1.rows('Interface', 'tun0')[0].type).toBe(tunnel.slice(6, tunnel.indexOf(',')));
    const before = txPackets(o1, 'br-int', 'tun0');
    expect(pings(vm1, '192.0.2.52', 30), tunnel).toBe(true);
    expect(sentMore(o1, 'br-int', 'tun0', before)).toBe(true);
    expect(run(o1, 'plan', file(1, 2, tunnel)).code).toBe(0);
  }
  void s2;
});

it('an LACP bond between two OVS instances survives losing a member', () => {
  const s1 = newNetns('ovs');
  const s2 = newNetns('ovs');
  for (const m of ['m1', 'm2']) ip('-n', s1, 'link', 'add', m, 'type', 'veth', 'peer', 'name', m, 'netns', s2);
  // On the userspace datapath the members stay kernel devices of s1 and s2, whose own stacks would
  // answer ARP for mgmt0's address straight from m1 or m2, around OVS (and then the ping may or may
  // not cross the bond): the members answer no ARP, so every answer comes from mgmt0 through OVS.
  for (const ns of [s1, s2])
    for (const m of ['m1', 'm2'])
      spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv4.conf.${m}.arp_ignore=8`], {
        stdio: 'inherit',
      });
  const o1 = startOvs(s1);
  const o2 = startOvs(s2);
  const file = (me: number) =>
    tempFile(
      'b.yaml',
      `version: 1
interfaces:
  br0: {kind: ovs-bridge, datapath: netdev, ports: [bond1, mgmt0]}
  bond1: {kind: ovs-bond, ports: [m1, m2], bond_mode: balance-tcp, lacp: active}
  m1: {kind: ethernet}
  m2: {kind: ethernet}
  mgmt0: {kind: ovs-internal, addresses: [192.0.2.${60 + me}/24]}
`,
    );
  expect(run(o1, 'apply', file(1), '--yes').code).toBe(0);
  expect(run(o2, 'apply', file(2), '--yes').code).toBe(0);
  expect(o1.rows('Port', 'bond1')[0]).toMatchObject({ bond_mode: 'balance-tcp', lacp: 'active' });
  // Both ends negotiated and both members enabled on each side, before the first ping: LACP
  // settles each end on its own, and one side's "negotiated" says nothing of the other's members.
  const settled = (o: Ovs) => {
    const show = o.appctl('bond/show', 'bond1');
    return /lacp_status: negotiated/.test(show) && /member m1: enabled/.test(show) && /member m2: enabled/.test(show);
  };
  let negotiated = false;
  for (let i = 0; i < 90 && !negotiated; i++) (negotiated = settled(o1) && settled(o2)) || spawnSync('sleep', ['0.5']);
  if (!negotiated) console.log(o1.appctl('bond/show', 'bond1'), o2.appctl('bond/show', 'bond1'));
  expect(negotiated).toBe(true);
  // mgmt0 is a tap in s1 and s2 alike; each namespace has only its own: the ping crosses the bond.
  const ok = pings(s1, '192.0.2.62', 30);
  if (!ok)
    console.log(
      o1.appctl('bond/show', 'bond1'),
      ip('-n', s1, '-br', 'link'),
      ip('-n', s1, 'addr'),
      o1.vsctl('show'),
      spawnSync('ovs-ofctl', ['dump-ports', `unix:${o1.dir}/br0.mgmt`], { encoding: 'utf8' }).stdout,
    );
  expect(ok).toBe(true);
  ip('-n', s1, 'link', 'set', 'm1', 'down');
  let disabled = false;
  for (let i = 0; i < 60 && !disabled; i++)
    (disabled = /member m1: disabled/.test(o1.appctl('bond/show', 'bond1'))) || spawnSync('sleep', ['0.5']);
  expect(disabled).toBe(true);
  const before = txPackets(o1, 'br0', 'm2');
  expect(pings(s1, '192.0.2.62', 30)).toBe(true);
  expect(sentMore(o1, 'br0', 'm2', before)).toBe(true);
});

// The engine's random-failure property, with Open vSwitch: apply A; then B's plan with a refusal
// injected at a random operation → OVSDB and the kernel are exactly as A left them.
it('a failure injected at a random operation of an OVS plan leaves OVSDB and the namespace as they were', async () => {
  const fc = (await import('fast-check')).default;
  const { stringify } = await import('yaml');
  const { applyPlan, loadFile, makePlan, readLive } = await import('../../src/engine/index.js');
  const { readHostFacts } = await import('../../src/live/read.js');
  const { kernelState } = await import('../helpers/state.js');
  const facts = await readHostFacts();
  const sw = newNetns('ovsprop');
  const ovs = startOvs(sw);
  const options = { ovsdb: ovs.db };
  const state = fc
    .record({
      taps: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      tags: fc.array(fc.constantFrom(null, 10, 20), { minLength: 4, maxLength: 4 }),
      trunk: fc.constantFrom(undefined, [10], [10, 20]),
      tunnel: fc.constantFrom(null, 'gre', 'vxlan'),
      key: fc.integer({ min: 1, max: 9 }),
      internal: fc.boolean(),
      mtu: fc.constantFrom(undefined, 1400, 1450),
      stp: fc.boolean(),
      priority: fc.constantFrom(undefined, 4096),
      vlanMode: fc.constantFrom(undefined, 'trunk', 'native-untagged'),
      patch: fc.boolean(),
    })
    .map((g) => {
      const ports: Record<string, any> = {};
      const interfaces: Record<string, any> = {};
      g.taps.forEach(
        (t) => (
          (interfaces[`tap${t}`] = { kind: 'tap' }), (ports[`tap${t}`] = g.tags[t] === null ? {} : { tag: g.tags[t] })
        ),
      );
      if (g.trunk)
        (ports.tap3 = { trunks: g.trunk, ...(g.vlanMode ? { vlan_mode: g.vlanMode } : {}) }),
          (interfaces.tap3 = { kind: 'tap' });
      if (g.tunnel)
        (interfaces.tun0 = { kind: 'ovs-tunnel', type: g.tunnel, remote_ip: '198.51.100.2', key: g.key }),
          (ports.tun0 = {});
      if (g.internal)
        (interfaces.mgmt0 = { kind: 'ovs-internal', addresses: ['192.0.2.1/24'], ...(g.mtu ? { mtu: g.mtu } : {}) }),
          (ports.mgmt0 = { tag: 10 });
      const br1 = g.patch
        ? {
            br1: { kind: 'ovs-bridge', datapath: 'netdev', ports: ['p-10'] },
            'p-01': { kind: 'ovs-patch', peer: 'p-10' },
            'p-10': { kind: 'ovs-patch', peer: 'p-01' },
          }
        : {};
      if (g.patch) ports['p-01'] = {};
      return {
        version: 1,
        interfaces: {
          br0: {
            kind: 'ovs-bridge',
            datapath: 'netdev',
            stp: g.stp,
            ...(g.priority ? { stp_priority: g.priority } : {}),
            ports,
          },
          ...interfaces,
          ...br1,
        },
      };
    });
  await fc.assert(
    fc.asyncProperty(state, state, fc.nat(), async (a, b, at) => {
      const ra = run(ovs, 'apply', tempFile('a.yaml', stringify(a)), '--yes');
      expect(ra.code, ra.stderr).toBe(0);
      const kernel = kernelState(sw);
      const rows = ovsState(ovs);
      const desired = await loadFile(tempFile('b.yaml', stringify(b)), facts);
      const snapshot = await readLive(sw, desired, facts, [], options);
      const plan = makePlan(desired, snapshot);
      const k = at % (plan.operations.length + 1);
      const refused = {
        resource: 'link:nht-absent',
        action: 'update' as const,
        phase: 'put' as const,
        backend: 'ip',
        args: ['link', 'set', 'dev', 'nht-absent', 'up'],
        disruptive: false,
      };
      const faulty = { ...plan, operations: [...plan.operations.slice(0, k), refused, ...plan.operations.slice(k)] };
      await expect(applyPlan(faulty, desired, snapshot, facts, { options })).rejects.toThrow(
        /previous state restored and verified/,
      );
      expect(ovsState(ovs)).toBe(rows);
      expect(kernelState(sw)).toEqual(kernel);
    }),
    // NETHOST_PROPERTY_SEED (and _PATH) replay a failure fast-check reported.
    {
      numRuns: Number(process.env.NETHOST_PROPERTY_RUNS ?? 6),
      endOnFailure: true,
      ...(process.env.NETHOST_PROPERTY_SEED
        ? { seed: Number(process.env.NETHOST_PROPERTY_SEED), path: process.env.NETHOST_PROPERTY_PATH }
        : {}),
    },
  );
}, 300_000);
