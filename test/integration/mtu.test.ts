// A bridge's MTU from the file is the bridge's own: ports leaving behind nethost's back do not move it,
// so the drift is the membership alone and repairing it does not touch the MTU.
import { afterAll, expect, it } from 'vitest';
import { deleteAllNetns, ip, links, newNetns, nethost, provideEthernets } from '../helpers/netns.js';

afterAll(() => deleteAllNetns());

const FILE = 'examples/vxlan-overlay-a.yaml'; // br100: mtu 1450, ports vx100 (1450) and tap100 (1500)

it('a bridge keeps its MTU when its ports leave', () => {
  const ns = newNetns('mtu');
  provideEthernets(ns, FILE);
  expect(nethost('apply', FILE, '--netns', ns, '--yes').code).toBe(0);
  expect(links(ns).get('br100').mtu).toBe(1450);

  // Someone takes every port off the bridge. The kernel would let an unpinned bridge fall back to 1500.
  ip('-n', ns, 'link', 'set', 'dev', 'vx100', 'nomaster');
  ip('-n', ns, 'link', 'set', 'dev', 'tap100', 'nomaster');
  expect(links(ns).get('br100').mtu).toBe(1450);

  const drift = nethost('drift-check', FILE, '--netns', ns);
  expect(drift.code).toBe(2);
  expect(drift.stdout).toMatch(/vx100: master \(none\) → br100/);
  expect(drift.stdout).toMatch(/tap100: master \(none\) → br100/);
  expect(drift.stdout).not.toMatch(/mtu/);

  const repair = nethost('plan', FILE, '--netns', ns, '--json');
  const ops = JSON.parse(repair.stdout).operations.map((o: any) => o.command.join(' '));
  expect(ops.some((o: string) => / mtu /.test(o))).toBe(false);
  expect(nethost('apply', FILE, '--netns', ns, '--yes').code).toBe(0);
  expect(links(ns).get('vx100').master).toBe('br100');
  expect(nethost('drift-check', FILE, '--netns', ns).code).toBe(0);
});
