// Property tests on the pure core: random valid files → load → diff against an empty namespace
// (the captured host/empty state) → plan.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { DesiredState, Plan } from '../../src/model.js';
import { diff } from '../../src/diff/diff.js';
import { buildPlan } from '../../src/plan/plan.js';
import { live, load } from './fixtures.js';

const empty = live('empty', 'ns-prop');

interface Spec {
  file: Record<string, any>;
  /** The same file with its interfaces in another order. */
  shuffled: Record<string, any>;
}

const mac = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 5, maxLength: 5 })
  .map((b) => ['02', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':'));

/** A random valid file: bridges with ports among generated taps, vxlans and veths; addresses, routes,
 *  rules, neighbours and sysctls over them. Documentation address ranges only. */
const fileArb: fc.Arbitrary<Spec> = fc
  .record({
    taps: fc.array(fc.record({ user: fc.boolean(), mq: fc.boolean(), tun: fc.boolean() }), {
      minLength: 1,
      maxLength: 5,
    }),
    vxlans: fc.array(
      fc.record({
        vni: fc.integer({ min: 0, max: 16_777_215 }),
        group: fc.boolean(),
        devPick: fc.nat(),
        ttl: fc.integer({ min: 0, max: 255 }),
        learning: fc.boolean(),
      }),
      { maxLength: 4 },
    ),
    veths: fc.integer({ min: 0, max: 2 }),
    macvlans: fc.array(
      fc.record({ mode: fc.constantFrom('bridge', 'vepa', 'private'), tap: fc.boolean(), lowerPick: fc.nat() }),
      { maxLength: 3 },
    ),
    bridges: fc.array(
      fc.record({
        stp: fc.boolean(),
        fd: fc.integer({ min: 2, max: 30 }),
        mtu: fc.option(fc.integer({ min: 1280, max: 9000 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    // which bridge (if any) each port candidate joins: index into bridges, or beyond = none
    membership: fc.array(fc.nat(5), { minLength: 20, maxLength: 20 }),
    // address slots: which link gets IPv4 subnet k (192.0.2.8k/29) and IPv6 subnet k (2001:db8:k::/64)
    addr4: fc.array(fc.option(fc.nat(), { nil: undefined }), { minLength: 8, maxLength: 8 }),
    addr6: fc.array(fc.option(fc.nat(), { nil: undefined }), { minLength: 4, maxLength: 4 }),
    routes: fc.array(
      fc.record({
        slot: fc.nat(),
        table: fc.constantFrom('main', 100, 200),
        metric: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
        type: fc.constantFrom('unicast', 'unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'),
      }),
      { maxLength: 8 },
    ),
    rules: fc.array(
      fc.record({ sel: fc.constantFrom('from', 'fwmark', 'iif', 'to6'), table: fc.constantFrom(100, 200, 'main') }),
      { maxLength: 4 },
    ),
    neighbors: fc.array(fc.record({ pick: fc.nat(), mac }), { maxLength: 3 }),
    sysctl: fc.option(fc.nat(), { nil: undefined }),
    order: fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
  })
  .map((g) => {
    const interfaces: Record<string, any> = {};
    const bridges = g.bridges.map((_, i) => `br${i}`);
    g.bridges.forEach(
      (b, i) =>
        (interfaces[bridges[i]] = {
          kind: 'bridge',
          stp: b.stp,
          forward_delay: b.fd,
          ...(b.mtu ? { mtu: b.mtu } : {}),
        }),
    );
    const portable: string[] = [];
    g.taps.forEach((t, i) => {
      const name = `${t.tun ? 'tun' : 'tap'}${i}`;
      interfaces[name] = {
        kind: t.tun ? 'tun' : 'tap',
        ...(t.user ? { user: 'nobody' } : {}),
        ...(t.mq ? { multi_queue: true } : {}),
      };
      if (!t.tun) portable.push(name);
    });
    const lowers = [...bridges, ...Object.keys(interfaces).filter((n) => n.startsWith('tap'))];
    g.vxlans.forEach((v, i) => {
      const name = `vx${i}`;
      const dev = lowers[v.devPick % lowers.length];
      interfaces[name] = v.group
        ? { kind: 'vxlan', vni: v.vni, group: `239.1.${i}.1`, dev, ttl: v.ttl }
        : { kind: 'vxlan', vni: v.vni, remote: `203.0.113.${200 + i}`, learning: v.learning, dstport: 4789 };
      portable.push(name);
    });
    for (let i = 0; i < g.veths; i++) {
      interfaces[`va${i}`] = { kind: 'veth', peer: `vb${i}` };
      interfaces[`vb${i}`] = { kind: 'veth', peer: `va${i}` };
      portable.push(`va${i}`);
    }
    g.macvlans.forEach((m, i) => {
      const name = `${m.tap ? 'mvt' : 'mvl'}${i}`;
      interfaces[name] = {
        kind: m.tap ? 'macvtap' : 'macvlan',
        link: lowers[m.lowerPick % lowers.length],
        mode: m.mode,
      };
    });
    portable.forEach((p, i) => {
      const b = g.membership[i % g.membership.length];
      // A vxlan is never a port of the bridge it runs over (a loop the loader refuses).
      if (b < bridges.length && interfaces[p].dev !== bridges[b]) (interfaces[bridges[b]].ports ??= []).push(p);
    });
    const links = Object.keys(interfaces);
    const v4: { link: string; k: number }[] = [];
    g.addr4.forEach((pick, k) => {
      if (pick === undefined) return;
      const link = links[pick % links.length];
      (interfaces[link].addresses ??= []).push(`192.0.2.${8 * k + 1}/29`);
      v4.push({ link, k });
    });
    g.addr6.forEach((pick, k) => {
      if (pick === undefined) return;
      const link = links[pick % links.length];
      (interfaces[link].addresses ??= []).push(`2001:db8:${k + 1}::1/64`);
    });
    const routes: any[] = [];
    g.routes.forEach((r, j) => {
      const to = `203.0.113.${8 * j}/29`;
      if (r.type !== 'unicast')
        routes.push({ to, type: r.type, table: r.table, ...(r.metric !== undefined ? { metric: r.metric } : {}) });
      else if (v4.length) {
        const a = v4[r.slot % v4.length];
        routes.push({
          to,
          via: `192.0.2.${8 * a.k + 2}`,
          table: r.table,
          ...(r.metric !== undefined ? { metric: r.metric } : {}),
        });
      }
    });
    const rules = g.rules.map((r, i) => {
      const priority = 1000 + i;
      if (r.sel === 'from') return { priority, from: '192.0.2.0/24', table: r.table };
      if (r.sel === 'fwmark') return { priority, fwmark: `0x${i + 1}/0xff`, table: r.table };
      if (r.sel === 'iif') return { priority, iif: links[i % links.length], table: r.table };
      return { priority, to: '2001:db8:ff::/48', type: 'blackhole' };
    });
    const neighbors = g.neighbors.map((n, i) => ({
      dev: links[n.pick % links.length],
      to: `198.51.100.${10 + i}`,
      lladdr: n.mac,
    }));
    const file: Record<string, any> = { version: 1, interfaces };
    if (routes.length) file.routes = routes;
    if (rules.length) file.rules = rules;
    if (neighbors.length) file.neighbors = neighbors;
    if (g.sysctl !== undefined)
      file.sysctls = { 'net.ipv4.ip_forward': 1, [`net.ipv4.conf.${links[g.sysctl % links.length]}.forwarding`]: 1 };
    // the same interfaces, listed in another order
    const keyed = links
      .map((name, i) => ({ name, k: g.order[i % g.order.length] * 100 + i }))
      .sort((a, b) => a.k - b.k);
    const shuffled = { ...file, interfaces: Object.fromEntries(keyed.map(({ name }) => [name, interfaces[name]])) };
    return { file, shuffled };
  });

function loadValid(obj: Record<string, any>): DesiredState {
  const text = stringify(obj);
  const r = load(text, 'random.yaml');
  if (!r.desired)
    throw new Error(
      `generated file rejected:\n${text}\n${r.diagnostics.map((d) => `${d.source?.line}:${d.source?.col} ${d.message}`).join('\n')}`,
    );
  return r.desired;
}

/** For every operation, the put operations of each of its resource's dependencies come earlier
 *  (`late` operations, by design after every other put, are checked to be last instead). */
function checkOrder(d: DesiredState, p: Plan) {
  const puts = new Map<string, number[]>();
  p.operations.forEach((o, i) => {
    if (o.phase === 'put') (puts.get(o.resource) ?? puts.set(o.resource, []).get(o.resource)!).push(i);
  });
  const firstLate = p.operations.findIndex((o) => o.phase === 'late');
  if (firstLate >= 0) expect(p.operations.slice(firstLate).every((o) => o.phase === 'late')).toBe(true);
  p.operations.forEach((o, i) => {
    for (const dep of d.resources.get(o.resource)!.deps) {
      for (const j of puts.get(dep.id) ?? []) {
        if (o.phase === 'late') continue;
        expect(j, `${o.resource} (${o.args.join(' ')}) after ${dep.id}`).toBeLessThan(i);
      }
    }
  });
}

describe('random desired states against an empty namespace', () => {
  it('property: the file loads, the diff is only creates, and the plan respects every dependency', () => {
    fc.assert(
      fc.property(fileArb, ({ file }) => {
        const d = loadValid(file);
        const changes = diff(d, empty);
        expect(changes.every((c) => c.action === 'create')).toBe(true);
        expect(changes.map((c) => c.id).sort()).toEqual([...d.resources.keys()].sort());
        const p = buildPlan(changes, d, empty);
        expect(p.operations.every((o) => o.phase !== 'delete' && o.action === 'create')).toBe(true);
        // every resource gets at least one operation (the veth end its peer creates is still marked)
        for (const id of d.resources.keys())
          expect(
            p.operations.some((o) => o.resource === id),
            id,
          ).toBe(true);
        checkOrder(d, p);
      }),
      { numRuns: 300 },
    );
  });

  it('property: the plan does not depend on the order the file lists interfaces in', () => {
    fc.assert(
      fc.property(fileArb, ({ file, shuffled }) => {
        const a = loadValid(file);
        const b = loadValid(shuffled);
        const pa = buildPlan(diff(a, empty), a, empty);
        const pb = buildPlan(diff(b, empty), b, empty);
        expect(pb.operations).toEqual(pa.operations);
      }),
      { numRuns: 150 },
    );
  });

  it('property: a file compared with itself as live state (everything owned) needs nothing', () => {
    fc.assert(
      fc.property(fileArb, ({ file }) => {
        const d = loadValid(file);
        const asLive = { netns: 'x', resources: new Map(d.resources), linkNames: new Set<string>(), addresses: [] };
        expect(diff(d, asLive)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
