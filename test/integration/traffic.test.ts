// Real traffic through what nethost built: two namespaces joined over a VXLAN-backed bridge ping each
// other; a policy rule sends marked traffic to its own table and out of another link.
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { deleteAllNetns, hostBehind, ip, ipJson, newNetns, nethost, tempFile } from '../helpers/netns.js';

afterAll(() => deleteAllNetns());

const ping = (ns: string, ...args: string[]) =>
  spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.3', '-W', '2', ...args], { encoding: 'utf8' });

it('two namespaces ping each other over the VXLAN overlay examples', () => {
  const a = newNetns('vxa');
  const b = newNetns('vxb');
  // The underlay: one cable between the two "hosts".
  ip('-n', a, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink', 'netns', b);
  for (const [ns, file] of [
    [a, 'examples/vxlan-overlay-a.yaml'],
    [b, 'examples/vxlan-overlay-b.yaml'],
  ]) {
    const r = nethost('apply', file, '--netns', ns, '--yes');
    expect(r.code, r.stderr).toBe(0);
  }
  const r = ping(a, '192.0.2.2');
  expect(r.status, r.stdout + r.stderr).toBe(0);
  // The packets crossed the overlay: the bridge learnt B's MAC behind vx100.
  const fdb = JSON.parse(execFileSync('bridge', ['-n', a, '-j', 'fdb', 'show', 'dev', 'vx100'], { encoding: 'utf8' }));
  expect(fdb.some((e: any) => e.mac && e.mac !== '00:00:00:00:00:00' && !e.flags?.includes('permanent'))).toBe(true);
});

it('a policy rule sends marked traffic to its table, unmarked traffic to main', () => {
  const x = newNetns('pr');
  // Two gateways, each answering for the same far address 203.0.113.250.
  const p0 = hostBehind(x, 'wan0', 'gw0', { addr: '198.51.100.254/24', peerDev: 'up0' });
  const p1 = hostBehind(x, 'wan1', 'gw1', { addr: '203.0.113.126/25', peerDev: 'up1' });
  for (const ns of [p0, p1]) ip('-n', ns, 'addr', 'add', '203.0.113.250/32', 'dev', 'lo');
  const file = tempFile(
    'pr.yaml',
    `version: 1
interfaces:
  wan0: {kind: ethernet, addresses: [198.51.100.1/24]}
  wan1: {kind: ethernet, addresses: [203.0.113.1/25]}
routes:
  - {to: default, via: 198.51.100.254}
  - {to: default, via: 203.0.113.126, table: 100}
rules:
  - {priority: 1001, fwmark: 0x1/0xff, table: 100}
`,
  );
  const r = nethost('apply', file, '--netns', x, '--yes');
  expect(r.code, r.stderr).toBe(0);
  const rx = (ns: string, dev: string) => ipJson<any[]>(ns, '-s', 'link', 'show', dev)[0].stats64.rx.packets as number;

  const before0 = rx(p0, 'up0');
  const before1 = rx(p1, 'up1');
  expect(ping(x, '203.0.113.250').status).toBe(0);
  expect(rx(p0, 'up0') - before0).toBeGreaterThanOrEqual(2);

  const mid1 = rx(p1, 'up1');
  const marked = ping(x, '-m', '1', '203.0.113.250');
  expect(marked.status, marked.stdout + marked.stderr).toBe(0);
  expect(rx(p1, 'up1') - mid1).toBeGreaterThanOrEqual(2);
  expect(mid1).toBeGreaterThanOrEqual(before1);
});
