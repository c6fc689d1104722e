// Each ordering rule (src/plan/order/) adds the edge it names, and the plan follows it: remove a rule
// from ORDER_RULES and its test here fails.
import { describe, expect, it } from 'vitest';
import { ORDER_RULES } from '../../src/plan/order/rules.js';
import { FIREWALL_ID } from '../../src/backends/nft/view.js';
import { desired, live, plan, putIndex } from './fixtures.js';

const empty = live('empty');
const depsOf = (file: string, id: string) => desired(file).resources.get(id)!.deps;
/** Index of the first operation whose argv contains all of `words`. */
const opIndex = (p: ReturnType<typeof plan>, ...words: string[]) =>
  p.operations.findIndex((o) => words.every((w) => o.args.join(' ').includes(w)));

describe('ordering rules', () => {
  it('are the four named ones, in this order', () => {
    expect(ORDER_RULES.map((r) => r.name)).toEqual([
      'interface field after its section (guard before port)',
      'master before its ports',
      'local address before its tunnel',
      "ports in the file's order",
    ]);
    for (const r of ORDER_RULES) expect(r.why.length).toBeGreaterThan(10);
  });

  it('guard before port: a guarded port waits for the firewall, and comes up after it is loaded', () => {
    const file =
      'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [vnet0]}\n  vnet0: {kind: tap, guard: {mac: "52:54:00:00:00:01", ips: [192.0.2.10]}}\n';
    expect(depsOf(file, 'link:vnet0')).toContainEqual({ id: FIREWALL_ID, via: 'guard', mode: 'order' });
    const p = plan(desired(file), empty);
    expect(putIndex(p, FIREWALL_ID)).toBeGreaterThanOrEqual(0);
    expect(putIndex(p, FIREWALL_ID)).toBeLessThan(putIndex(p, 'link:vnet0'));
  });

  it('master before its ports: a port is attached to its master, after the master is made', () => {
    const file = 'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [tap0]}\n  tap0: {kind: tap}\n';
    expect(depsOf(file, 'link:tap0')).toContainEqual({ id: 'link:br0', via: 'master', mode: 'attach' });
    const p = plan(desired(file), empty);
    expect(opIndex(p, 'link add name br0')).toBeLessThan(opIndex(p, 'dev tap0', 'master br0'));
  });

  it('local address before its tunnel: a vxlan waits for the address that holds its local', () => {
    // z-up0 sorts after vx0 by name: only the edge puts its address first.
    const file =
      'version: 1\ninterfaces:\n  vx0: {kind: vxlan, vni: 7, remote: 198.51.100.2, local: 198.51.100.1, dev: zup0}\n  zup0: {kind: tap, addresses: [198.51.100.1/24]}\n';
    expect(depsOf(file, 'link:vx0')).toContainEqual({
      id: 'address:zup0:198.51.100.1/24',
      via: 'local',
      mode: 'order',
    });
    const p = plan(desired(file), empty);
    expect(opIndex(p, 'address add 198.51.100.1/24')).toBeLessThan(opIndex(p, 'link add name vx0'));
  });

  it("ports in the file's order: each port joins after the one listed before it", () => {
    const file =
      'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [tb, ta]}\n  ta: {kind: tap}\n  tb: {kind: tap}\n';
    expect(depsOf(file, 'link:ta')).toContainEqual({ id: 'link:tb', via: 'port order', mode: 'order' });
    const p = plan(desired(file), empty);
    expect(opIndex(p, 'dev tb', 'master br0')).toBeLessThan(opIndex(p, 'dev ta', 'master br0'));
  });
});
