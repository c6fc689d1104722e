// The firewall through nftables, in namespaces the tests create: client → router → server for NAT,
// port forwarding, MSS clamping and the input policy; a bridge with a guarded port for anti-spoofing;
// foreign tables held byte for byte; drift; atomicity both ways. The seed documents' commands are
// quoted where a test stands for them.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteAllNetns, hostBehind, ip, links, newNetns, nethost, tempFile } from '../helpers/netns.js';
import {
  arpFrame,
  counters,
  nft,
  nftScript,
  sendFrames,
  stopServers,
  tableText,
  tcpConnect,
  tcpServer,
  udpFrame,
} from '../helpers/traffic.js';
import { applyPlan, loadFile, makePlan, readLive } from '../../src/engine/index.js';
import { nftBackend, noApplyMeanwhile } from '../../src/backends/nft/backend.js';
import { acquireLock, applyGeneration, bumpGeneration, lockIsHeld } from '../../src/exec/lock.js';
import { renderScript } from '../../src/render/script.js';
import { readHostFacts } from '../../src/live/read.js';

// The root namespace's firewall is never touched: its ruleset is the same at the end.
const rootRuleset = () => execFileSync('nft', ['-s', 'list', 'ruleset'], { encoding: 'utf8' });
let rootBefore = '';
beforeAll(() => void (rootBefore = rootRuleset()));
afterAll(() => {
  stopServers();
  deleteAllNetns();
  expect(rootRuleset()).toBe(rootBefore);
});
afterEach(() => stopServers());

const _sh = (ns: string, ...argv: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });

/** client (192.0.2.10) — lan0 [router] wan0 — server (198.51.100.2); the server has no route back. */
function topology() {
  const router = newNetns('fwr');
  const client = hostBehind(router, 'lan0', 'fwc', { addr: '192.0.2.10/24', gw: '192.0.2.1' });
  const server = hostBehind(router, 'wan0', 'fws', { addr: '198.51.100.2/24' });
  ip('-n', router, 'link', 'set', 'lo', 'up');
  return { router, client, server };
}

// The seeds: PPTP gateway (003) `iptables -A INPUT -p tcp --dport 1723 -j ACCEPT`,
// `iptables -t nat -A POSTROUTING -s 192.168.0.0/24 -o eth0 -j MASQUERADE`,
// `iptables -A FORWARD -p tcp --syn -s 192.168.0.0/24 -j TCPMSS --set-mss 1356`; the VDE namespace
// (000) `echo 1 > /proc/sys/net/ipv4/ip_forward; iptables -t nat -A POSTROUTING -o vde0 -j MASQUERADE`.
const ROUTER = `version: 1
interfaces:
  lan0: {kind: ethernet, addresses: [192.0.2.1/24]}
  wan0: {kind: ethernet, addresses: [198.51.100.1/24]}
sysctls:
  net.ipv4.ip_forward: 1
firewall:
  masquerade:
    - {from: 192.0.2.0/24, out: wan0}
  port_forwards:
    - {in: lan0, proto: tcp, port: 8080, to: 198.51.100.2:80}
  mss_clamp:
    - {from: 192.0.2.0/24, mss: 1356}
  input:
    policy: drop
    allow: [{proto: tcp, port: 22}, {proto: tcp, port: 1723}, {proto: gre}]
`;

describe('client → router → server', () => {
  let t: ReturnType<typeof topology>;
  beforeAll(() => {
    t = topology();
    // What the server sees of each SYN, and the client of each SYN-ACK: counted by MSS value.
    nftScript(
      t.server,
      `table inet obs {\n chain in {\n  type filter hook input priority 0;\n  tcp dport 80 tcp flags syn / syn,ack tcp option maxseg size 1356 counter\n  tcp dport 80 tcp flags syn / syn,ack tcp option maxseg size 1460 counter\n }\n}\n`,
    );
    nftScript(
      t.client,
      `table inet obs {\n chain in {\n  type filter hook input priority 0;\n  tcp sport 80 tcp flags syn,ack / syn,ack tcp option maxseg size 1356 counter\n  tcp sport 80 tcp flags syn,ack / syn,ack tcp option maxseg size 1460 counter\n }\n}\n`,
    );
  });

  it('without the firewall the client cannot reach the server (no route back): the tests below can fail', async () => {
    await tcpServer(t.server, 80);
    ip('netns', 'exec', t.router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    expect(tcpConnect(t.client, '198.51.100.2', 80, 1, 1)).toBeNull();
  });

  it("applies, then a TCP connection from the client reaches the server, which sees the router's address", async () => {
    const r = nethost('apply', tempFile('router.yaml', ROUTER), '--netns', t.router, '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(
      /chain inet nethost postrouting \(new chain\)\n {8}\+ oifname "wan0" ip saddr 192\.0\.2\.0\/24 masquerade/,
    );
    await tcpServer(t.server, 80);
    expect(tcpConnect(t.client, '198.51.100.2', 80)).toBe('198.51.100.1');
    const plan = nethost('plan', tempFile('router.yaml', ROUTER), '--netns', t.router);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it("port_forwards: a connection to the router's port 8080 reaches the server's port 80, also from the router itself", async () => {
    await tcpServer(t.server, 80);
    expect(tcpConnect(t.client, '192.0.2.1', 8080)).toBe('198.51.100.1');
    // The host's own connection to its own address at the forwarded port (nat output chain).
    expect(tcpConnect(t.router, '192.0.2.1', 8080)).toBe('198.51.100.1');
  });

  it('mss_clamp: the forwarded SYN and SYN-ACK carry MSS 1356, not the 1460 a 1500 MTU gives', async () => {
    await tcpServer(t.server, 80);
    const s0 = counters(t.server, 'inet', 'obs', 'in');
    const c0 = counters(t.client, 'inet', 'obs', 'in');
    expect(tcpConnect(t.client, '198.51.100.2', 80)).toBe('198.51.100.1');
    const s1 = counters(t.server, 'inet', 'obs', 'in');
    const c1 = counters(t.client, 'inet', 'obs', 'in');
    expect([s1[0] - s0[0], s1[1] - s0[1]]).toEqual([1, 0]);
    expect([c1[0] - c0[0], c1[1] - c0[1]]).toEqual([1, 0]);
  });

  it('input: policy drop with allow 22 lets 22 in and refuses 23; counters rising are not drift', async () => {
    await tcpServer(t.router, 22);
    await tcpServer(t.router, 23);
    expect(tcpConnect(t.client, '192.0.2.1', 22)).toBe('192.0.2.10');
    expect(tcpConnect(t.client, '192.0.2.1', 23, 1, 1)).toBeNull();
    // The allow rule counted the connection; the plan is still empty.
    expect(nft(t.router, 'list', 'chain', 'inet', 'nethost', 'input')).toMatch(
      /tcp dport 22 counter packets [1-9]\d* bytes \d+ accept/,
    );
    const plan = nethost('plan', tempFile('router.yaml', ROUTER), '--netns', t.router);
    expect(plan.code, plan.stdout).toBe(0);
    const drift = nethost('drift-check', tempFile('router.yaml', ROUTER), '--netns', t.router);
    expect(drift.code, drift.stdout).toBe(0);
  });

  it('--script prints the exact nft -f - transaction, which a shell runs to the same result', () => {
    const ns = newNetns('fwscript');
    ip('-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'wan0');
    const r = nethost('plan', tempFile('router.yaml', ROUTER), '--netns', ns, '--script');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      `ip netns exec ${ns} nft -f - <<'NETHOST_EOF'\ntable inet nethost {}\ndelete table inet nethost\n`,
    );
    execFileSync('sh', ['-e'], { input: r.stdout });
    expect(tableText(ns, 'inet', 'nethost')).toBe(tableText(t.router, 'inet', 'nethost'));
  });
});

describe('foreign tables, drift and prune', () => {
  // libvirt's NAT network (003: `MASQUERADE  tcp  192.168.122.0/24 !192.168.122.0/24 masq ports: 1024-65535`),
  // Docker's nat table and iptables-nft's `ip filter`, made by hand.
  const FOREIGN = `table ip libvirt_network {
 chain guest_nat {
  type nat hook postrouting priority 100; policy accept;
  ip saddr 192.0.2.0/24 ip daddr != 192.0.2.0/24 meta l4proto tcp masquerade to :1024-65535
 }
}
table ip nat {
 chain DOCKER {
  iifname "docker0" counter return
 }
 chain POSTROUTING {
  type nat hook postrouting priority srcnat; policy accept;
  oifname != "docker0" ip saddr 203.0.113.0/24 counter masquerade
 }
 chain PREROUTING {
  type nat hook prerouting priority dstnat; policy accept;
  fib daddr type local counter jump DOCKER
 }
}
table ip filter {
 chain INPUT {
  type filter hook input priority filter; policy accept;
  tcp dport 1723 counter accept
 }
 chain FORWARD {
  type filter hook forward priority filter; policy accept;
 }
}
`;
  const foreign = (ns: string) =>
    ['ip libvirt_network', 'ip nat', 'ip filter'].map((t) => tableText(ns, ...(t.split(' ') as [string, string])));
  const file = (allow: string) => tempFile('fw.yaml', ROUTER.replace('{proto: gre}', allow));

  it('are byte for byte the same through apply, change and prune; hand-added rules and a flushed table are drift and repaired', () => {
    const { router } = topology();
    nftScript(router, FOREIGN);
    const before = foreign(router);
    expect(nethost('apply', file('{proto: gre}'), '--netns', router, '--yes').code).toBe(0);
    expect(foreign(router)).toEqual(before);
    const applied = tableText(router, 'inet', 'nethost');

    // A rule added by hand inside nethost's table: drift, removed by the next apply.
    nft(router, 'add', 'rule', 'inet', 'nethost', 'input', 'tcp', 'dport', '23', 'accept');
    const drift = nethost('drift-check', file('{proto: gre}'), '--netns', router);
    expect(drift.code).not.toBe(0);
    expect(drift.stdout).toMatch(/firewall.*not in the file: inet input: tcp dport 23 accept/);
    const fix = nethost('apply', file('{proto: gre}'), '--netns', router, '--yes');
    expect(fix.code, fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/chain inet nethost input\n {8}- tcp dport 23 accept/);
    expect(tableText(router, 'inet', 'nethost')).toBe(applied);

    // A flushed table: drift, restored.
    nft(router, 'flush', 'table', 'inet', 'nethost');
    expect(nethost('drift-check', file('{proto: gre}'), '--netns', router).stdout).toMatch(
      /missing: inet postrouting: oifname "wan0" ip saddr 192\.0\.2\.0\/24 masquerade/,
    );
    expect(nethost('apply', file('{proto: gre}'), '--netns', router, '--yes').code).toBe(0);
    expect(tableText(router, 'inet', 'nethost')).toBe(applied);

    // A change: one rule replaced.
    const change = nethost('apply', file('{proto: esp}'), '--netns', router, '--yes');
    expect(change.code, change.stderr).toBe(0);
    expect(change.stdout).toMatch(/\+ meta l4proto esp counter accept\n {8}- meta l4proto gre counter accept/);
    expect(foreign(router)).toEqual(before);

    // Prune: a file without a firewall removes nethost's tables, and only them.
    const prune = nethost('apply', tempFile('p.yaml', 'version: 1\n'), '--netns', router, '--yes');
    expect(prune.code, prune.stderr).toBe(0);
    expect(nft(router, 'list', 'tables')).toBe('table ip libvirt_network\ntable ip nat\ntable ip filter\n');
    expect(foreign(router)).toEqual(before);
  });

  it("warns about another table's base chain with policy drop on a hook nethost uses, and about ip_forward off", () => {
    const { router } = topology();
    nftScript(
      router,
      'table inet firewalld {\n chain filter_INPUT {\n  type filter hook input priority filter + 10; policy drop;\n }\n}\n',
    );
    const r = nethost(
      'plan',
      tempFile('w.yaml', ROUTER.replace('sysctls:\n  net.ipv4.ip_forward: 1\n', '')),
      '--netns',
      router,
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(
      /warning: table inet firewalld has base chain filter_INPUT on the input hook with policy drop: an accept in nethost's table does not override it/,
    );
    expect(r.stdout).toMatch(
      /warning: net\.ipv4\.ip_forward is 0 here and the file does not set it[\s\S]*hint: add under sysctls: net\.ipv4\.ip_forward: 1/,
    );
  });
});

// A web server inside the LAN published on the router's outside address, and a LAN client that
// uses that outside address too (the port forward a home router calls "NAT loopback"):
//   iptables -t nat -A PREROUTING -d 198.51.100.1 -p tcp --dport 8080 -j DNAT --to 192.0.2.20:80
//   iptables -t nat -A POSTROUTING -s 192.0.2.0/24 -d 192.0.2.20 -p tcp --dport 80 -j MASQUERADE
describe('port forward with hairpin: true', () => {
  // web on the LAN bridge itself (the classic case: without the SNAT back it would answer the
  // client directly), or on its own DMZ interface (the forward chain must let it through).
  const HAIRPIN = (hairpin: boolean, forwardPolicy: string, dmz: boolean) => `version: 1
interfaces:
  br-lan: {kind: bridge, ports: [lan1${dmz ? '' : ', lan2'}], addresses: [192.0.2.1/25]}
  lan1: {kind: ethernet}
  lan2: {kind: ethernet${dmz ? ', addresses: [192.0.2.129/25]' : ''}}
  wan0: {kind: ethernet, addresses: [198.51.100.1/24]}
sysctls:
  net.ipv4.ip_forward: 1
firewall:
  port_forwards:
    - {in: wan0, proto: tcp, port: 8080, to: ${dmz ? '192.0.2.130' : '192.0.2.20'}:80${hairpin ? ', hairpin: true' : ''}}
  forward:
    policy: ${forwardPolicy}
`;
  function lan(dmz: boolean) {
    const router = newNetns('fwhr');
    const client = hostBehind(router, 'lan1', 'fwhc', { addr: '192.0.2.10/25', gw: '192.0.2.1' });
    const web = hostBehind(
      router,
      'lan2',
      'fwhw',
      dmz ? { addr: '192.0.2.130/25', gw: '192.0.2.129' } : { addr: '192.0.2.20/25', gw: '192.0.2.1' },
    );
    const outside = hostBehind(router, 'wan0', 'fwho', { addr: '198.51.100.2/24' });
    ip('-n', router, 'link', 'set', 'lo', 'up');
    return { router, client, web, outside };
  }

  for (const [policy, dmz, seen] of [
    ['accept', false, '192.0.2.1'],
    ['drop', false, '192.0.2.1'],
    ['drop', true, '192.0.2.129'],
  ] as const) {
    it(`web ${dmz ? 'in a DMZ' : 'on the LAN'}, forward policy ${policy}: without hairpin a LAN client cannot use the outside address; with it, it can, and the web server sees the router`, async () => {
      const t = lan(dmz);
      await tcpServer(t.web, 80);
      const r0 = nethost('apply', tempFile('h.yaml', HAIRPIN(false, policy, dmz)), '--netns', t.router, '--yes');
      expect(r0.code, r0.stderr + r0.stdout).toBe(0);
      // From outside the forward works either way: the web server sees the outside client itself.
      expect(tcpConnect(t.outside, '198.51.100.1', 8080)).toBe('198.51.100.2');
      // From the LAN, without hairpin, nothing answers on the router's 8080 (the test can fail).
      expect(tcpConnect(t.client, '198.51.100.1', 8080, 1, 1)).toBeNull();
      const r1 = nethost('apply', tempFile('h.yaml', HAIRPIN(true, policy, dmz)), '--netns', t.router, '--yes');
      expect(r1.code, r1.stderr + r1.stdout).toBe(0);
      // DNAT plus SNAT back: the web server answers the router, which answers the client.
      expect(tcpConnect(t.client, '198.51.100.1', 8080)).toBe(seen);
      expect(tcpConnect(t.outside, '198.51.100.1', 8080)).toBe('198.51.100.2');
      expect(nethost('plan', tempFile('h.yaml', HAIRPIN(true, policy, dmz)), '--netns', t.router).code).toBe(0);
    });
  }
});

describe('checks before anything changes', () => {
  it('an interface named in a rule that is neither in the file nor in the namespace, and an unreachable to:', () => {
    const ns = newNetns('fwchk');
    const f = tempFile(
      'c.yaml',
      `version: 1
firewall:
  masquerade:
    - {from: 192.0.2.0/24, out: nosuch0}
  port_forwards:
    - {proto: tcp, port: 8080, to: 203.0.113.9:80}
`,
    );
    const r = nethost('plan', f, '--netns', ns);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/c\.yaml:4:\d+: error: interface "nosuch0" is neither in the file nor in this namespace/);
    expect(r.stderr).toMatch(/c\.yaml:6:\d+: error: port forward target 203\.0\.113\.9 is not reachable/);
    expect(nft(ns, 'list', 'tables')).toBe('');
  });

  it("guard allow_in / allow_out need bridge connection tracking: refused with the kernel's answer, positioned, or applied where the kernel has it", () => {
    const ns = newNetns('fwct');
    const f = tempFile(
      'g.yaml',
      `version: 1
interfaces:
  br0: {kind: bridge, ports: [vnet0]}
  vnet0:
    kind: tap
    guard:
      mac: 52:54:00:24:4c:ee
      allow_in: [{proto: tcp, port: [22, 80]}]
`,
    );
    // Ask the kernel directly whether it can match connection state in the bridge family.
    const probe = newNetns('fwprobe');
    let kernelHasIt = true;
    try {
      nftScript(probe, 'table bridge t { chain c { ct state established accept } }\n');
    } catch {
      kernelHasIt = false;
    }
    const r = nethost('apply', f, '--netns', ns, '--yes');
    if (kernelHasIt) {
      expect(r.code, r.stderr).toBe(0);
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /g\.yaml:8:\d+: error: this kernel lacks bridge connection tracking \(nf_conntrack_bridge\)/,
      );
      expect(nft(ns, 'list', 'tables')).toBe('');
      expect(links(ns).has('br0')).toBe(false);
    }
  });
});

describe('port guard on a bridge port', () => {
  // libvirt's clean-traffic (001): no-mac-spoofing, no-ip-spoofing, no-arp-spoofing.
  const VM_MAC = '52:54:00:24:4c:ee';
  const GUARDED = (guard: boolean) => `version: 1
interfaces:
  br0: {kind: bridge, ports: [vnet0, vnet1]}
  vnet0:
    kind: ethernet${guard ? `\n    guard: {mac: "${VM_MAC}", ips: [192.0.2.50]}` : ''}
  vnet1: {kind: ethernet}
`;
  it('forged source MAC, source IP and ARP sender do not get through; the honest frames do', () => {
    const host = newNetns('fwg');
    const vm = hostBehind(host, 'vnet0', 'fwvm', { mac: VM_MAC });
    const obs = hostBehind(host, 'vnet1', 'fwobs');
    // What reaches the other port, counted at its ingress, one rule per kind of frame.
    const OBS = `table netdev obs {
 chain in {
  type filter hook ingress device eth0 priority 0;
  ether saddr 52:54:00:99:99:99 counter
  ip saddr 192.0.2.99 counter
  arp saddr ether 52:54:00:88:88:88 counter
  arp saddr ip 192.0.2.98 counter
  ip saddr 192.0.2.50 udp dport 9 counter
  arp saddr ip 192.0.2.50 counter
 }
}
`;
    // Ports just added to the bridge may not forward for a moment (carrier and port state settle
    // asynchronously): wait until an honest frame to another port gets through before counting.
    const ready = () => {
      for (let i = 0; i < 40; i++) {
        nft(obs, 'delete', 'table', 'netdev', 'obs');
        nftScript(
          obs,
          'table netdev obs {\n chain in {\n  type filter hook ingress device eth0 priority 0;\n  udp dport 7 counter\n }\n}\n',
        );
        sendFrames(vm, 'eth0', [udpFrame(VM_MAC, '192.0.2.50', '192.0.2.255', 7)]);
        if (counters(obs, 'netdev', 'obs', 'in')[0] > 0) return;
        spawnSync('sleep', ['0.25']);
      }
      throw new Error('an honest frame from vnet0 never reached vnet1: the bridge does not forward');
    };
    const send = () => {
      ready();
      nft(obs, 'delete', 'table', 'netdev', 'obs');
      nftScript(obs, OBS);
      sendFrames(vm, 'eth0', [
        udpFrame('52:54:00:99:99:99', '192.0.2.50', '192.0.2.255', 9), // forged source MAC
        udpFrame(VM_MAC, '192.0.2.99', '192.0.2.255', 9), // forged source IP
        arpFrame(VM_MAC, '52:54:00:88:88:88', '192.0.2.50', '192.0.2.20'), // forged ARP sender MAC
        arpFrame(VM_MAC, VM_MAC, '192.0.2.98', '192.0.2.20'), // forged ARP sender IP
        udpFrame(VM_MAC, '192.0.2.50', '192.0.2.255', 9), // honest
        arpFrame(VM_MAC, VM_MAC, '192.0.2.50', '192.0.2.20'), // honest ARP
      ]);
      return counters(obs, 'netdev', 'obs', 'in');
    };
    nftScript(obs, 'table netdev obs {}\n');
    // Without the guard everything passes (the test can fail) …
    expect(nethost('apply', tempFile('g.yaml', GUARDED(false)), '--netns', host, '--yes').code).toBe(0);
    // (the frames with a forged MAC also carry the honest IP: rules 5 and 6 count them too)
    expect(send()).toEqual([1, 1, 1, 1, 2, 2]);
    // … with it, only the honest frames.
    const r = nethost('apply', tempFile('g.yaml', GUARDED(true)), '--netns', host, '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(send()).toEqual([0, 0, 0, 0, 1, 1]);
    expect(nethost('plan', tempFile('g.yaml', GUARDED(true)), '--netns', host).code).toBe(0);
    // Removing the guard removes the bridge table.
    expect(nethost('apply', tempFile('g.yaml', GUARDED(false)), '--netns', host, '--yes').code).toBe(0);
    expect(nft(host, 'list', 'tables')).toBe('');
    expect(send()).toEqual([1, 1, 1, 1, 2, 2]);
  });

  it('forward: {policy: drop} does not cut VM-to-VM traffic on one bridge where bridged frames pass the inet hooks', () => {
    const host = newNetns('fwbr');
    const vm1 = hostBehind(host, 'vnet0', 'fwvm1', { addr: '192.0.2.51/24' });
    hostBehind(host, 'vnet1', 'fwvm2', { addr: '192.0.2.52/24' });
    const file = (fw: string) =>
      tempFile(
        'b.yaml',
        `version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [vnet0, vnet1]}\n  vnet0: {kind: ethernet}\n  vnet1: {kind: ethernet}\nsysctls:\n  net.bridge.bridge-nf-call-iptables: 1\n${fw}`,
      );
    const ping = () => spawnSync('ip', ['netns', 'exec', vm1, 'ping', '-c', '1', '-w', '3', '192.0.2.52']).status;
    expect(nethost('apply', file(''), '--netns', host, '--yes').code).toBe(0);
    expect(ping()).toBe(0);
    // A plain inet forward chain with policy drop does cut them here: the kernel passes them through it.
    nftScript(
      host,
      'table inet plain {\n chain forward {\n  type filter hook forward priority 0; policy drop;\n }\n}\n',
    );
    expect(ping()).not.toBe(0);
    nft(host, 'delete', 'table', 'inet', 'plain');
    const r = nethost('apply', file('firewall:\n  forward: {policy: drop}\n'), '--netns', host, '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\+ iifname "br0" oifname "br0" accept/);
    expect(ping()).toBe(0);
  });

  it('a guard on an interface that is not a bridge port is refused, positioned', () => {
    const r = nethost(
      'validate',
      tempFile('bad.yaml', 'version: 1\ninterfaces:\n  tap0:\n    kind: tap\n    guard: {mac: "52:54:00:00:00:01"}\n'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:5:5: error: guard on tap0, which is not a port of a Linux bridge/);
  });
});

describe('atomicity', () => {
  const FW = (port: number) => `firewall:
  input:
    policy: drop
    allow: [{proto: tcp, port: ${port}}]
`;
  it('a link failure after the nft transaction puts the tables back as they were', () => {
    const ns = newNetns('fwat1');
    expect(nethost('apply', tempFile('a.yaml', `version: 1\n${FW(22)}`), '--netns', ns, '--yes').code).toBe(0);
    const before = tableText(ns, 'inet', 'nethost');
    // Someone else's VXLAN holds VNI 200 (as in fault.test.ts): creating vx200 fails in the kernel.
    ip('-n', ns, 'link', 'add', 'theirs', 'type', 'vxlan', 'id', '200', 'remote', '198.51.100.8', 'dstport', '4789');
    const r = nethost(
      'apply',
      tempFile(
        'b.yaml',
        `version: 1\ninterfaces:\n  vx200: {kind: vxlan, vni: 200, remote: 198.51.100.9, dstport: 4789}\n${FW(2222)}`,
      ),
      '--netns',
      ns,
      '--yes',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\+ tcp dport 2222 counter accept/);
    expect(r.stderr).toMatch(/link add name vx200[\s\S]*previous state restored and verified/);
    expect(tableText(ns, 'inet', 'nethost')).toBe(before);
  });

  it('an nft failure after link operations puts the links back', async () => {
    const ns = newNetns('fwat2');
    const a = tempFile(
      'a.yaml',
      `version: 1\ninterfaces:\n  br9: {kind: bridge, addresses: [192.0.2.1/24]}\n${FW(22)}`,
    );
    expect(nethost('apply', a, '--netns', ns, '--yes').code).toBe(0);
    const before = tableText(ns, 'inet', 'nethost');
    const facts = await readHostFacts();
    const desired = await loadFile(tempFile('b.yaml', `version: 1\n${FW(2222)}`), facts);
    const snapshot = await readLive(ns, desired, facts);
    const plan = makePlan(desired, snapshot);
    // br9 is deleted first; then the transaction, which the kernel refuses (a chain that does not exist).
    expect(plan.operations.map((o) => o.backend)).toEqual(['ip', 'nft']);
    const ops = plan.operations.map((o) =>
      o.backend === 'nft' ? { ...o, args: [o.args[0] + 'add rule inet nethost nosuchchain accept\n'] } : o,
    );
    await expect(applyPlan({ ...plan, operations: ops }, desired, snapshot, facts)).rejects.toThrow(
      /operation 2 of 2 failed: ip netns exec \S+ nft -f -: Could not process rule: No such file or directory \(line \d+: add rule inet nethost nosuchchain accept\)[\s\S]*previous state restored and verified/,
    );
    expect(links(ns).get('br9')?.ifalias).toBe('nethost');
    expect(tableText(ns, 'inet', 'nethost')).toBe(before);
  });
  // A PATH shim in front of the real nft: it logs every argv, and (if told) rewrites one line of a
  // text script on its way in, so that nft refuses that rule of the file at apply time (the plan's
  // `nft -c` and the JSON restore go through untouched).
  const REAL_NFT = execFileSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' }).trim();
  function nftShim(sedExpr?: string) {
    const dir = mkdtempSync(join(tmpdir(), 'nethost-nftshim-'));
    const log = join(dir, 'argv.log');
    const edit = sedExpr ? `sed '${sedExpr}' | ${REAL_NFT} "$@"; exit $?` : '';
    writeFileSync(
      join(dir, 'nft'),
      `#!/bin/sh\necho "$*" >> ${log}\ncase " $* " in *" -j "*|*" -c "*) exec ${REAL_NFT} "$@";; esac\n${edit}\nexec ${REAL_NFT} "$@"\n`,
    );
    chmodSync(join(dir, 'nft'), 0o755);
    return { path: `${dir}:${process.env.PATH}`, argv: () => readFileSync(log, 'utf8').trim().split('\n') };
  }
  const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
  const withPath = (path: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', PATH: path },
    });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  };

  it('a rule nft refuses at apply time is named by its line in the file, and the host is put back', () => {
    const ns = newNetns('fwline');
    const a = tempFile(
      'a.yaml',
      `version: 1\ninterfaces:\n  br9: {kind: bridge, addresses: [192.0.2.1/24]}\n${FW(22)}`,
    );
    expect(nethost('apply', a, '--netns', ns, '--yes').code).toBe(0);
    const before = tableText(ns, 'inet', 'nethost');
    // br9 goes first (a link operation that takes effect), then the transaction, refused at its
    // second allow rule: line 7 of b.yaml.
    const b = tempFile(
      'b.yaml',
      'version: 1\nfirewall:\n  input:\n    policy: drop\n    allow:\n      - {proto: tcp, port: 22}\n      - {proto: tcp, port: 2222}\n      - {proto: tcp, port: 80}\n',
    );
    const shim = nftShim('s/tcp dport 2222 counter accept/tcp dport 2222 counter jump nosuchchain/');
    const r = withPath(shim.path, 'apply', b, '--netns', ns, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /operation 2 of 2 failed: ip netns exec \S+ nft -f -: Could not process rule: No such file or directory \(line \d+: tcp dport 2222 counter accept\)/,
    );
    expect(r.stderr).toMatch(/previous state restored and verified/);
    expect(r.stderr.split('\n')).toContain(
      `${b}:7:9: error: the kernel refused this rule: Could not process rule: No such file or directory (inet nethost, chain input: tcp dport 2222 counter accept)`,
    );
    expect(shim.argv()).toContain('-f -'); // the apply's transaction went through the shim
    expect(shim.argv()).toContain('-c -f -'); // checked first: the deletion of br9 runs before it
    expect(links(ns).get('br9')?.ifalias).toBe('nethost');
    expect(tableText(ns, 'inet', 'nethost')).toBe(before);
  });

  it('when the transaction runs first it is its own check (no nft -c): a refused rule is named by its line all the same, and nothing changed', () => {
    const ns = newNetns('fwfirst');
    const b = tempFile(
      'b.yaml',
      'version: 1\ninterfaces:\n  br9: {kind: bridge, addresses: [192.0.2.1/24]}\nfirewall:\n  input:\n    allow:\n      - {proto: tcp, port: 2222}\n',
    );
    const shim = nftShim('s/tcp dport 2222 counter accept/tcp dport 2222 counter jump nosuchchain/');
    const r = withPath(shim.path, 'apply', b, '--netns', ns, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/operation 1 of \d+ failed: ip netns exec \S+ nft -f -/);
    expect(r.stderr.split('\n')).toContain(
      `${b}:7:9: error: the kernel refused this rule: Could not process rule: No such file or directory (inet nethost, chain input: tcp dport 2222 counter accept)`,
    );
    expect(r.stderr).toMatch(/previous state restored and verified/);
    expect(shim.argv().filter((l) => l.includes('-c'))).toEqual([]);
    expect(links(ns).has('br9')).toBe(false);
    expect(nft(ns, 'list', 'tables')).toBe('');
  });

  it("a line that is no rule of the file (the script's own) is not pinned on an entry", () => {
    const ns = newNetns('fwline2');
    const shim = nftShim('s/^delete table inet nethost$/delete table inet nosuchtable/');
    const r = withPath(shim.path, 'apply', tempFile('c.yaml', `version: 1\n${FW(22)}`), '--netns', ns, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/operation 1 of 1 failed: .*nft -f -: .*\(line 2: delete table inet nethost\)/);
    expect(r.stderr).not.toMatch(/c\.yaml:\d+:\d+: error/);
    expect(r.stderr).toMatch(/previous state restored and verified/);
    expect(nft(ns, 'list', 'tables')).toBe('');
  });

  const waitFor = async (ok: () => boolean) => {
    for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(ok()).toBe(true);
  };
  it('the listing memo: an apply with nothing to do writes it (under its lock), a plan writes it only when no apply ran meanwhile; a plan it knows reads no nft JSON, a hand edit is read and shown', async () => {
    const ns = newNetns('fwmemo');
    const runDir = mkdtempSync(join(tmpdir(), 'nethost-run-'));
    const a = tempFile('a.yaml', `version: 1\n${FW(22)}`);
    const memo = () => spawnSync('ls', [join(runDir, 'nft-memo')], { encoding: 'utf8' }).stdout.trim();
    const forget = () => spawnSync('rm', ['-r', join(runDir, 'nft-memo')]);
    const run = (...args: string[]) => {
      const shim = nftShim();
      const r = spawnSync(process.execPath, [BIN, ...args], {
        encoding: 'utf8',
        env: { ...process.env, NETHOST_LOCK_DIR: runDir, NO_COLOR: '1', PATH: shim.path },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr, nft: shim.argv() };
    };
    const applied = run('apply', a, '--netns', ns, '--yes');
    expect(applied.code, applied.stderr).toBe(0);
    // The verification right after the transaction read nft's JSON only (the text was the snapshot's).
    const after = applied.nft.slice(applied.nft.indexOf('-f -'));
    expect(after.filter((l) => l.startsWith('-s list table'))).toEqual([]);
    expect(after).toContain('-j -s list table inet nethost');
    // The first plan after it: the text is new, so JSON read, printed, equal, remembered.
    const first = run('plan', a, '--netns', ns);
    expect(first.code).toBe(0);
    expect(first.nft).toEqual(expect.arrayContaining(['-s list table inet nethost', '-j -s list table inet nethost']));
    const known = memo();
    expect(known).toMatch(/^[0-9a-f]{64}$/);
    // Known: the next plan lists the tables as text only.
    const hit = run('plan', a, '--netns', ns);
    expect(hit.code).toBe(0);
    expect(hit.nft).toContain('-s list table inet nethost');
    expect(hit.nft.filter((l) => l.startsWith('-j -s list table'))).toEqual([]);
    // Forgotten (a reboot empties /run), while an apply holds the lock: the plan prints, writes nothing.
    forget();
    const base = join(
      runDir,
      readdirSync(runDir)
        .find((f) => f.endsWith('.lock'))!
        .replace(/\.lock$/, ''),
    );
    // flock(1) holding the lock for a sleep of its own group (both ended by that group's id).
    const holder = spawn('flock', ['--exclusive', `${base}.lock`, 'sleep', '30'], { stdio: 'ignore', detached: true });
    try {
      await waitFor(() => lockIsHeld(base));
      const during = run('plan', a, '--netns', ns);
      expect(during.code).toBe(0);
      expect(during.nft).toContain('-j -s list table inet nethost');
      expect(memo()).toBe('');
    } finally {
      process.kill(-holder.pid!, 'SIGKILL');
    }
    await waitFor(() => !lockIsHeld(base));
    // An apply with nothing to do remembers it again (its snapshot is read under the lock), and
    // raised the apply generation twice (taking the lock, letting it go).
    const gen = applyGeneration(base);
    const noop = run('apply', a, '--netns', ns, '--yes');
    expect(noop.code, noop.stderr).toBe(0);
    expect(memo()).toBe(known);
    expect(Number(applyGeneration(base))).toBe(Number(gen) + 2);
    // A hand edit: the text differs, the JSON is read, the rule shows; the memo stays as it was.
    nft(ns, 'add', 'rule', 'inet', 'nethost', 'input', 'tcp', 'dport', '23', 'accept');
    const drift = run('drift-check', a, '--netns', ns);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toMatch(/not in the file: inet input: tcp dport 23 accept/);
    expect(drift.nft).toContain('-j -s list table inet nethost');
    expect(memo()).toBe(known);
  });

  it("an apply that changes only links verifies nft by its snapshot (nothing of it ran nft), and a file without a firewall lists no other table's chains", () => {
    const ns = newNetns('fwlinks');
    const fw = `version: 1\ninterfaces:\n  br9: {kind: bridge}\n${FW(22)}`;
    // A file without a firewall on a host without nethost's tables: one nft child, the table names.
    const none = nftShim();
    const c = tempFile('c.yaml', 'version: 1\ninterfaces:\n  br9: {kind: bridge, mtu: 1400}\n');
    expect(withPath(none.path, 'plan', c, '--netns', ns).code).toBe(2);
    expect(none.argv()).toEqual(['-j list tables']);
    expect(nethost('apply', tempFile('a.yaml', fw), '--netns', ns, '--yes').code).toBe(0);
    const shim = nftShim();
    const r = withPath(
      shim.path,
      'apply',
      tempFile('b.yaml', fw.replace('br9: {kind: bridge}', 'br9: {kind: bridge, mtu: 1400}')),
      '--netns',
      ns,
      '--yes',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Applied and verified/);
    // The snapshot's reads only: the two text listings and the chains (the file has a firewall).
    expect(shim.argv().sort()).toEqual([
      '-j list chains',
      '-s list table bridge nethost',
      '-s list table inet nethost',
    ]);
    expect(links(ns).get('br9')?.mtu).toBe(1400);
    const plain = nftShim();
    expect(withPath(plain.path, 'plan', c, '--netns', ns).code).toBe(2); // would prune the tables
    expect(plain.argv()).not.toContain('-j list chains');
    // The tables it would prune were found by their names, then listed.
    expect(plain.argv()).toEqual(expect.arrayContaining(['-j list tables', '-s list table inet nethost']));
  });

  it('a plan remembers a listing only if no apply took the lock between its text and its JSON listing', () => {
    const ns = newNetns('fwmemogen');
    const check = noApplyMeanwhile(ns);
    expect(check()).toBe(true);
    const lock = acquireLock(ns);
    try {
      expect(check()).toBe(false); // held now
      bumpGeneration(lock.base);
    } finally {
      lock.release();
    }
    expect(check()).toBe(false); // let go, but an apply ran
    expect(noApplyMeanwhile(ns)()).toBe(true);
  });

  it("a snapshot the memo knew is restored from the ruleset's own text: nft -f -, and the tables are back", async () => {
    const ns = newNetns('fwmemorestore');
    const a = tempFile('a.yaml', `version: 1\n${FW(22)}`);
    expect(nethost('apply', a, '--netns', ns, '--yes').code).toBe(0);
    const before = tableText(ns, 'inet', 'nethost');
    const facts = await readHostFacts();
    const snapshot = await readLive(ns, await loadFile(a, facts), facts);
    expect((snapshot.resources.get('nft:nethost')?.carried as { json?: unknown } | undefined)?.json).toBeUndefined(); // known: no JSON read
    nft(ns, 'flush', 'table', 'inet', 'nethost');
    const target = { file: '(snapshot)', resources: snapshot.resources };
    const plan = makePlan(target, await readLive(ns, target, facts));
    const [op] = plan.operations;
    expect(op.options ?? []).toEqual([]);
    expect(await nftBackend.run([op], ns, {})).toBeUndefined();
    expect(tableText(ns, 'inet', 'nethost')).toBe(before);
  });

  it('a restore runs exactly the nft -j -f - it prints (plan, --script): the argv of the child is the command', async () => {
    const ns = newNetns('fwrestore');
    expect(nethost('apply', tempFile('a.yaml', `version: 1\n${FW(22)}`), '--netns', ns, '--yes').code).toBe(0);
    const before = tableText(ns, 'inet', 'nethost');
    const facts = await readHostFacts();
    const snapshot = await readLive(ns, undefined, facts);
    nft(ns, 'flush', 'table', 'inet', 'nethost');
    // Planning back to the snapshot: the restore's operation, as the engine runs it.
    const target = { file: '(snapshot)', resources: snapshot.resources };
    const plan = makePlan(target, await readLive(ns, target, facts));
    const [op] = plan.operations;
    expect(op.options).toEqual(['-j']);
    const spawned: string[][] = [];
    expect(await nftBackend.run([op], ns, { onSpawn: (c) => spawned.push(c.argv) })).toBeUndefined();
    expect(spawned).toEqual([nftBackend.command(op, ns)]);
    expect(spawned[0].slice(-3)).toEqual(['-j', '-f', '-']);
    expect(tableText(ns, 'inet', 'nethost')).toBe(before);
    // --script's here-document of the same operation, run by a shell, does the same.
    const script = renderScript({ ...plan, netns: ns });
    expect(script).toContain(`ip netns exec ${ns} nft -j -f - <<'NETHOST_EOF'\n{"nftables":`);
    nft(ns, 'flush', 'table', 'inet', 'nethost');
    execFileSync('sh', ['-e'], { input: script });
    expect(tableText(ns, 'inet', 'nethost')).toBe(before);
  });
});
