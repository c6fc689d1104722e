// Failure half-way: the kernel rejects an operation after others succeeded → exit 1, the failing
// operation and the kernel's words reported, and the namespace exactly as before.
import { afterAll, expect, it } from 'vitest';
import { deleteAllNetns, ip, ipJson, links, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { applyPlan, loadFile, makePlan, readLive } from '../../src/engine/index.js';
import { readHostFacts } from '../../src/live/read.js';

afterAll(() => deleteAllNetns());

function state(ns: string) {
  return {
    links: [...links(ns).values()]
      .map((l) => `${l.ifname}:${l.ifalias ?? ''}:${l.master ?? ''}:${l.flags.includes('UP')}`)
      .sort(),
    addrs: ipJson<any[]>(ns, 'addr', 'show')
      .flatMap((l) =>
        (l.addr_info ?? []).filter((a: any) => a.scope !== 'link').map((a: any) => `${l.ifname}:${a.local}`),
      )
      .sort(),
    routes: ipJson<any[]>(ns, 'route', 'show', 'table', 'all')
      .map((r) => `${r.table ?? 'main'}:${r.dst}:${r.protocol}`)
      .sort(),
    rules: ipJson<any[]>(ns, 'rule', 'show')
      .map((r) => `${r.priority}:${r.protocol ?? ''}`)
      .sort(),
  };
}

const FILE = `version: 1
interfaces:
  br0: {kind: bridge, ports: [tap0, vx200], addresses: [192.0.2.1/24]}
  tap0: {kind: tap}
  vx200: {kind: vxlan, vni: 200, remote: 198.51.100.9, dstport: 4789}
routes:
  - {to: 203.0.113.0/24, via: 192.0.2.254, table: 100}
rules:
  - {priority: 1000, from: 192.0.2.0/24, table: 100}
`;

it('a kernel rejection midway rolls everything back', () => {
  const ns = newNetns('fault');
  // Someone else's VXLAN already holds VNI 200 on port 4789: creating vx200 must fail in the kernel.
  ip('-n', ns, 'link', 'add', 'theirs', 'type', 'vxlan', 'id', '200', 'remote', '198.51.100.8', 'dstport', '4789');
  ip('-n', ns, 'addr', 'add', '198.51.100.1/24', 'dev', 'theirs');
  const before = state(ns);
  const file = tempFile('fault.yaml', FILE);
  const r = nethost('apply', file, '--netns', ns, '--yes');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/operation \d+ of \d+ failed/);
  expect(r.stderr).toMatch(/link add name vx200/);
  expect(r.stderr).toMatch(/previous state restored and verified/);
  expect(state(ns)).toEqual(before);
});

it("a name taken behind nethost's back between plan and apply: exit with the error, host restored", async () => {
  const ns = newNetns('race');
  const file = tempFile('race.yaml', FILE.replace('vni: 200', 'vni: 201'));
  const facts = await readHostFacts();
  const desired = await loadFile(file, facts);
  const snapshot = await readLive(ns, desired, facts);
  const plan = makePlan(desired, snapshot);
  const before = state(ns);
  // Between plan and apply, another tool creates "tap0" as a bridge.
  ip('-n', ns, 'link', 'add', 'tap0', 'type', 'bridge');
  const withIntruder = state(ns);
  await expect(applyPlan(plan, desired, snapshot, facts)).rejects.toThrow(
    /tuntap add mode tap name tap0[\s\S]*previous state restored/,
  );
  // Everything nethost did is undone; the intruder (not nethost's) is left alone.
  expect(state(ns)).toEqual(withIntruder);
  expect(withIntruder.links.length).toBe(before.links.length + 1);
});

it('two applies on one namespace do not interleave: the second is refused while the first holds the lock', async () => {
  const ns = newNetns('lock');
  const { acquireLock } = await import('../../src/exec/lock.js');
  const lock = acquireLock(ns);
  try {
    const r = nethost(
      'apply',
      tempFile('l.yaml', 'version: 1\ninterfaces:\n  br9: {kind: bridge}\n'),
      '--netns',
      ns,
      '--yes',
    );
    // The lock holder is this (live) test process, so the CLI must refuse.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/another nethost apply is running on namespace/);
    expect(links(ns).has('br9')).toBe(false);
  } finally {
    lock.release();
  }
});
