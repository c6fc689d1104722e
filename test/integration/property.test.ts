// Property: for random valid desired states A and B of this kernel's kinds, apply A then B → the live
// state is B (a fresh plan is empty, the links are exactly B's), and applying an empty file afterwards
// leaves the namespace as it started.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, expect, it } from 'vitest';
import { deleteAllNetns, deleteNetns, ip, ipJson, links, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { nftTables } from '../helpers/state.js';

afterAll(() => deleteAllNetns());

const desiredState = fc
  .record({
    bridges: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
    taps: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    vxlans: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
    macvlan: fc.boolean(),
    stp: fc.boolean(),
    mtu: fc.constantFrom(undefined, 1400, 1500),
    hostBits: fc.uniqueArray(fc.integer({ min: 1, max: 250 }), { minLength: 2, maxLength: 4 }),
    route: fc.boolean(),
    rule: fc.boolean(),
    forward: fc.constantFrom(0, 1),
    firewall: fc.constantFrom(undefined, 'nat', 'forwards', 'guard'),
  })
  .map((g) => {
    const interfaces: Record<string, any> = { uplink: { kind: 'ethernet', addresses: ['198.51.100.1/24'] } };
    const ports = [...g.taps.map((t) => `tap${t}`), ...g.vxlans.map((v) => `vx${v}`)];
    g.taps.forEach((t) => (interfaces[`tap${t}`] = { kind: 'tap' }));
    g.vxlans.forEach(
      (v) =>
        (interfaces[`vx${v}`] = {
          kind: 'vxlan',
          vni: v * 10,
          dev: 'uplink',
          group: `239.1.1.${v}`,
          dstport: 4789,
          learning: v % 2 === 0,
        }),
    );
    g.bridges.forEach((b, i) => {
      interfaces[`br${b}`] = {
        kind: 'bridge',
        stp: g.stp,
        ...(g.mtu ? { mtu: g.mtu } : {}),
        ports: ports.filter((_, j) => j % g.bridges.length === i),
        addresses: [`192.0.2.${g.hostBits[i]}/24`.replace(/^/, '')].filter(() => i === 0),
      };
    });
    if (g.macvlan)
      interfaces.mv0 = {
        kind: 'macvlan',
        link: 'uplink',
        mode: 'bridge',
        addresses: [`203.0.113.${g.hostBits[1]}/24`],
      };
    const doc: any = { version: 1, interfaces, sysctls: { 'net.ipv4.ip_forward': g.forward } };
    if (g.route) doc.routes = [{ to: '203.0.113.128/25', via: '198.51.100.254', table: 100 + g.hostBits[0] }];
    if (g.rule)
      doc.rules = [
        { priority: 1000 + g.hostBits[0], fwmark: `0x${g.hostBits[1].toString(16)}`, table: 100 + g.hostBits[0] },
      ];
    // Firewall resources: nethost's nft tables in the same plan and rollback as the links.
    if (g.firewall === 'nat')
      doc.firewall = {
        masquerade: [{ from: '192.0.2.0/24', out: 'uplink' }],
        input: { policy: 'drop', allow: [{ proto: 'tcp', port: 22 + g.hostBits[0] }] },
      };
    if (g.firewall === 'forwards')
      doc.firewall = {
        port_forwards: [{ in: 'uplink', proto: 'tcp', port: 8000 + g.hostBits[1], to: '198.51.100.9:80' }],
        mss_clamp: [{ mss: 'pmtu' }],
        forward: { policy: 'drop' },
      };
    const guardable = g.bridges.length
      ? Object.keys(interfaces).find((n) => n.startsWith('tap') && interfaces[`br${g.bridges[0]}`].ports.includes(n))
      : undefined;
    if (g.firewall === 'guard' && guardable)
      interfaces[guardable].guard = {
        mac: `52:54:00:00:00:${g.hostBits[0].toString(16).padStart(2, '0')}`,
        ips: [`192.0.2.${g.hostBits[1]}`],
      };
    return doc;
  });

function snapshot(ns: string) {
  return {
    links: [...links(ns).values()].map((l) => `${l.ifname}:${l.ifalias ?? ''}`).sort(),
    addrs: ipJson<any[]>(ns, 'addr', 'show')
      .flatMap((l) =>
        (l.addr_info ?? []).filter((a: any) => a.scope !== 'link').map((a: any) => `${l.ifname}:${a.local}`),
      )
      .sort(),
    ours: [...ipJson<any[]>(ns, '-4', 'route', 'show', 'table', 'all'), ...ipJson<any[]>(ns, 'rule', 'show')].filter(
      (r) => r.protocol === '232',
    ),
    nft: nftTables(ns),
  };
}

it('apply A, then B: live is B; then empty: as it started', () => {
  fc.assert(
    fc.property(desiredState, desiredState, (a, b) => {
      const ns = newNetns('prop');
      const peer = newNetns('propp');
      try {
        ip('-n', ns, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'p0', 'netns', peer);
        const start = snapshot(ns);
        for (const doc of [a, b]) {
          const f = tempFile('s.yaml', stringify(doc));
          const r = nethost('apply', f, '--netns', ns, '--yes');
          expect(r.code, `${r.stderr}\n${stringify(doc)}`).toBe(0);
          const p = nethost('plan', f, '--netns', ns);
          expect(p.code, p.stdout).toBe(0);
        }
        const names = [...links(ns).keys()].filter((n) => n !== 'lo').sort();
        expect(names).toEqual(Object.keys(b.interfaces).sort());
        const r = nethost('apply', tempFile('e.yaml', 'version: 1\n'), '--netns', ns, '--yes');
        expect(r.code, r.stderr).toBe(0);
        expect(snapshot(ns)).toEqual(start);
      } finally {
        deleteNetns(ns);
        deleteNetns(peer);
      }
    }),
    { numRuns: Number(process.env.NETHOST_PROPERTY_RUNS ?? 6), endOnFailure: true },
  );
}, 900_000);

// Property: apply A; then B's plan with a kernel refusal injected at a random operation → the
// namespace is exactly as after A, field by field and marks included, and the error says so.
it("a failure injected at a random operation of B's plan leaves the namespace exactly as A left it", async () => {
  const { applyPlan, loadFile, makePlan, readLive } = await import('../../src/engine/index.js');
  const { readHostFacts } = await import('../../src/live/read.js');
  const { kernelState } = await import('../helpers/state.js');
  const facts = await readHostFacts();
  await fc.assert(
    fc.asyncProperty(desiredState, desiredState, fc.nat(), async (a, b, at) => {
      const ns = newNetns('propf');
      const peer = newNetns('propfp');
      try {
        ip('-n', ns, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'p0', 'netns', peer);
        const fa = tempFile('a.yaml', stringify(a));
        const ra = nethost('apply', fa, '--netns', ns, '--yes');
        expect(ra.code, ra.stderr).toBe(0);
        const before = kernelState(ns);
        const desired = await loadFile(tempFile('b.yaml', stringify(b)), facts);
        const snapshot = await readLive(ns, desired, facts);
        const plan = makePlan(desired, snapshot);
        const k = at % (plan.operations.length + 1);
        // A link that does not exist: the kernel refuses, as it would any operation.
        const refused = {
          resource: 'link:nht-absent',
          action: 'update' as const,
          phase: 'put' as const,
          backend: 'ip' as const,
          args: ['link', 'set', 'dev', 'nht-absent', 'up'],
          disruptive: false,
        };
        const faulty = { ...plan, operations: [...plan.operations.slice(0, k), refused, ...plan.operations.slice(k)] };
        await expect(applyPlan(faulty, desired, snapshot, facts)).rejects.toThrow(
          new RegExp(
            `operation ${k + 1} of ${faulty.operations.length} failed[\\s\\S]*previous state restored and verified`,
          ),
        );
        expect(kernelState(ns)).toEqual(before);
      } finally {
        deleteNetns(ns);
        deleteNetns(peer);
      }
    }),
    { numRuns: Number(process.env.NETHOST_PROPERTY_RUNS ?? 6), endOnFailure: true },
  );
}, 900_000);
