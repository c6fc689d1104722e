// The apply engine on the kinds only the lab's kernel has: undoing a bond's mode change needs the
// same sequence as making it (ports released, bond down, mode, ports back), which a rollback that
// planned without the live state did not know.
import { afterAll, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { deleteAllNetns, ip, links, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { kernelState } from '../helpers/state.js';

requireLab();
afterAll(() => deleteAllNetns());

it('a bond mode change whose next operation fails: the old mode and ports are back, verified', () => {
  const ns = newNetns('bondrb');
  const peer = newNetns('bondrbp');
  ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x0', 'netns', peer);
  ip('-n', ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'x1', 'netns', peer);
  // Someone else's VXLAN holds VNI 300 on port 4789: creating vx300 after the mode change fails.
  ip('-n', ns, 'link', 'add', 'theirs', 'type', 'vxlan', 'id', '300', 'remote', '198.51.100.8', 'dstport', '4789');
  const file = (mode: string, extra = '') =>
    tempFile(
      'b.yaml',
      `version: 1\ninterfaces:\n  eth0: {kind: ethernet}\n  eth1: {kind: ethernet}\n  bond0: {kind: bond, mode: ${mode}, miimon: 100, ports: [eth0, eth1], addresses: [192.0.2.1/24]}\n${extra}`,
    );
  const a = nethost('apply', file('active-backup'), '--netns', ns, '--yes');
  expect(a.code, a.stderr).toBe(0);
  const before = kernelState(ns);
  const r = nethost(
    'apply',
    file('802.3ad', '  vx300: {kind: vxlan, vni: 300, remote: 198.51.100.9, dstport: 4789}\n'),
    '--netns',
    ns,
    '--yes',
  );
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/failed: ip -n \S+ link add name vx300/);
  expect(r.stderr).toMatch(/previous state restored and verified/);
  const l = links(ns);
  expect(l.get('bond0').linkinfo.info_data.mode).toBe('active-backup');
  expect(l.get('eth0').master).toBe('bond0');
  expect(l.get('eth1').master).toBe('bond0');
  expect(kernelState(ns)).toEqual(before);
  expect(nethost('plan', file('active-backup'), '--netns', ns).code).toBe(0);
});
