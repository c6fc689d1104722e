// A bridge's MTU from the file is the bridge's own: ports leaving behind nethost's back do not move it,
// so the drift is the membership alone and repairing it does not touch the MTU.
import { afterAll, expect, it } from 'vitest';
import { deleteAllNetns, ip, links, newNetns, nethost, provideEthernets, tempFile } from '../helpers/netns.js';

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

// Found by the property test (seed 2043505219): br1 made by nethost without an MTU follows its
// ports; a file that then sets mtu: 1500, which it has, and gives it VXLAN ports (1450) must end at
// 1500, verified, not at the 1450 the ports pull it to.
it('an existing bridge whose MTU the file sets to what it has keeps it when lower-MTU ports join', () => {
  const ns = newNetns('mtuj');
  provideEthernets(ns, FILE);
  const a = tempFile('a.yaml', 'version: 1\ninterfaces:\n  uplink: {kind: ethernet}\n  br1: {kind: bridge}\n');
  expect(nethost('apply', a, '--netns', ns, '--yes').code).toBe(0);
  expect(links(ns).get('br1').mtu).toBe(1500);
  const b = tempFile(
    'b.yaml',
    `version: 1
interfaces:
  uplink: {kind: ethernet}
  br1: {kind: bridge, mtu: 1500, ports: [vx1, tap0]}
  vx1: {kind: vxlan, vni: 10, dev: uplink, group: 239.1.1.1, dstport: 4789}
  tap0: {kind: tap}
`,
  );
  const r = nethost('apply', b, '--netns', ns, '--yes');
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(links(ns).get('vx1').mtu).toBe(1450);
  expect(links(ns).get('br1').mtu).toBe(1500);
  expect(nethost('plan', b, '--netns', ns).code).toBe(0);
});
