// The seed exercise (001: "only TCP 22 and 80 open, the VM may ping out but not be pinged, may
// resolve DNS") on a guarded VM port, in the kernel lab, whose Debian kernel has bridge connection
// tracking (nf_conntrack_bridge) that the guard's allow-lists need. Also examples/guarded-vm-port.yaml.
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { deleteAllNetns, ip, newNetns, nethost, provideEthernets, tempFile } from '../helpers/netns.js';
import { nft, stopServers, tcpConnect, tcpServer, udpQuery, udpServer } from '../helpers/traffic.js';

requireLab();
beforeAll(() => {
  spawnSync('modprobe', ['tun']);
  spawnSync('modprobe', ['nf_conntrack_bridge']);
});
afterEach(() => stopServers());
afterAll(() => deleteAllNetns());

const ping = (ns: string, to: string) =>
  spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-w', '4', to]).status;

const VM_MAC = '52:54:00:24:4c:ee';
const FILE = (guard: boolean) => `version: 1
interfaces:
  uplink: {kind: ethernet}
  br0: {kind: bridge, ports: [uplink, vnet0], addresses: [192.0.2.1/24]}
  vnet0:
    kind: ethernet${
      guard
        ? `
    guard:
      mac: ${VM_MAC}
      ips: [192.0.2.50]
      allow_in: [{proto: tcp, port: [22, 80]}]
      allow_out: [{proto: icmp, type: echo-request}, {proto: udp, port: 53}, {proto: tcp, port: 53}]`
        : ''
    }
`;

describe('the seed exercise on a guarded VM port', () => {
  let host: string, vm: string, lan: string;
  beforeAll(() => {
    host = newNetns('labfw');
    vm = newNetns('labvm');
    lan = newNetns('lablan');
    ip('-n', host, 'link', 'add', 'vnet0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm);
    ip('-n', host, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan);
    ip('-n', vm, 'link', 'set', 'eth0', 'address', VM_MAC);
    for (const [ns, a] of [
      [vm, '192.0.2.50/24'],
      [lan, '192.0.2.20/24'],
    ]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', a, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  });

  it('without the guard everything passes (so the checks below can fail)', async () => {
    const r = nethost('apply', tempFile('g.yaml', FILE(false)), '--netns', host, '--yes');
    expect(r.code, r.stderr).toBe(0);
    await tcpServer(vm, 25);
    expect(tcpConnect(lan, '192.0.2.50', 25)).toBe('192.0.2.20');
    expect(ping(lan, '192.0.2.50')).toBe(0);
  });

  it('with it: 22 and 80 in, 25 refused; ping out works, ping in fails; a DNS query out gets its answer', async () => {
    const r = nethost('apply', tempFile('g.yaml', FILE(true)), '--netns', host, '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(
      /chain bridge nethost to-vnet0 \(new chain\)[\s\S]*\+ tcp dport \{ 22, 80 \} counter accept/,
    );
    for (const p of [22, 80, 25]) await tcpServer(vm, p);
    await udpServer(lan, 53);
    expect(tcpConnect(lan, '192.0.2.50', 22)).toBe('192.0.2.20');
    expect(tcpConnect(lan, '192.0.2.50', 80)).toBe('192.0.2.20');
    expect(tcpConnect(lan, '192.0.2.50', 25, 2, 1)).toBeNull();
    expect(ping(vm, '192.0.2.20')).toBe(0);
    expect(ping(lan, '192.0.2.50')).not.toBe(0);
    expect(udpQuery(vm, '192.0.2.20', 53)).toBe('answer:query');
    // The allow rules counted what they let in; counters are not drift.
    expect(nft(host, 'list', 'chain', 'bridge', 'nethost', 'to-vnet0')).toMatch(
      /tcp dport \{ 22, 80 \} counter packets [1-9]/,
    );
    expect(nethost('plan', tempFile('g.yaml', FILE(true)), '--netns', host).code).toBe(0);
  });

  it('examples/guarded-vm-port.yaml applies, verifies, plans empty and is removed by an empty file', () => {
    const ns = newNetns('labex');
    provideEthernets(ns, 'examples/guarded-vm-port.yaml');
    const r = nethost('apply', 'examples/guarded-vm-port.yaml', '--netns', ns, '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(nft(ns, 'list', 'tables')).toBe('table bridge nethost\n');
    expect(nethost('plan', 'examples/guarded-vm-port.yaml', '--netns', ns).code).toBe(0);
    expect(nethost('apply', tempFile('e.yaml', 'version: 1\n'), '--netns', ns, '--yes').code).toBe(0);
    expect(nft(ns, 'list', 'tables')).toBe('');
  });
});
