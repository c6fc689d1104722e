// diff + plan + render on captured live states (test/fixtures/host/, see test/fixtures/capture.sh).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, Plan, Resource } from '../../src/model.js';
import { diff } from '../../src/diff/diff.js';
import { checkAgainstLive } from '../../src/config/load.js';
import { renderPlan } from '../../src/render/human.js';
import { renderScript } from '../../src/render/script.js';
import { planJson } from '../../src/render/json.js';
import { delIndex, desired, fileText, HOST, live, plan, putIndex, raw } from './fixtures.js';

const NS = 'ns-test';
const applied = fileText('applied');

/** Index of a change in the plan's (ordered) change list. */
const changeIndex = (p: Plan, id: string) => p.changes.findIndex((c) => c.id === id);
const change = (p: Plan, id: string): Change => {
  const c = p.changes.find((x) => x.id === id);
  if (!c) throw new Error(`no change for ${id}; have ${p.changes.map((x) => `${x.action} ${x.id}`).join(', ')}`);
  return c;
};
const kindGroup = (r: Resource | undefined): string => {
  if (!r) return '?';
  if (r.id.startsWith('link:')) return 'link';
  return r.kind;
};

describe('after apply: the second plan is empty', () => {
  const d = desired(applied);
  const l = live('applied', NS);

  it('the live state nethost leaves behind equals the file', () => {
    expect(checkAgainstLive(d, l)).toEqual([]);
    const changes = diff(d, l);
    expect(changes.map((c) => `${c.action} ${c.id} ${JSON.stringify(c.attrs)}`)).toEqual([]);
    const p = plan(d, l);
    expect(p.operations).toEqual([]);
    expect(renderPlan(p, { color: false })).toMatch(/^No changes\. Namespace ns-test matches the file\./);
  });

  it('every resource of the file is in that live state, owned', () => {
    for (const r of d.resources.values()) {
      const x = l.resources.get(r.id);
      expect(x, r.id).toBeDefined();
      if (r.kind !== 'sysctl') expect(x!.owned, r.id).toBe(true);
    }
  });

  it('… and the diff is not blind: one changed attribute of each kind shows', () => {
    const edits: [RegExp, string, string][] = [
      [/forward_delay: 4/, 'forward_delay: 5', 'link:br0'],
      [/ageing: 30.5/, 'ageing: 31', 'link:br1'],
      [/ttl: 10/, 'ttl: 11', 'link:vx0'],
      [/mode: bridge}/, 'mode: vepa}', 'link:mvb'],
      [/learning: false/, 'learning: true', 'link:vx1'],
      [/mac: 02:00:00:00:0B:00/, 'mac: 02:00:00:00:0B:01', 'link:vb0'],
      [/lladdr: 02:00:00:00:00:0A/, 'lladdr: 02:00:00:00:00:0B', 'neighbor:br0:192.0.2.10'],
      [/via: 198.51.100.1}/, 'via: 198.51.100.3}', 'route:254:0.0.0.0/0:0'],
      [/iif: br0, table: 100/, 'iif: br0, table: 101', 'rule:4:110:*:*:*:br0:*'],
      [/net.ipv4.ip_forward: 1/, 'net.ipv4.ip_forward: 0', 'sysctl:net/ipv4/ip_forward'],
    ];
    for (const [re, to, id] of edits) {
      expect(applied, String(re)).toMatch(re);
      const changes = diff(desired(applied.replace(re, to)), l);
      expect(
        changes.map((c) => c.id),
        id,
      ).toEqual([id]);
    }
  });
});

describe('a file against an empty namespace', () => {
  const d = desired(applied);
  const empty = live('empty', NS);
  const p = plan(d, empty);

  it('creates everything; the existing uplink is adopted, never created', () => {
    for (const c of p.changes) {
      if (c.id === 'link:uplink0') expect(c.action).toBe('adopt');
      else expect(c.action, c.id).toBe('create');
    }
    expect(p.changes.length).toBe(d.resources.size);
    expect(p.operations.some((o) => o.args.join(' ').includes('add name uplink0'))).toBe(false);
  });

  it('links before addresses before routes before rules (bar a tunnel over a local address of the file)', () => {
    const order = ['link', 'address', 'route', 'rule'];
    const firstLast = new Map<string, [number, number]>();
    const overAddress = (r: Resource | undefined) => !!r?.deps.some((x) => x.via === 'local');
    expect(overAddress(d.resources.get('link:vx1'))).toBe(true); // vx1: local 198.51.100.2, on uplink0
    p.operations.forEach((o, i) => {
      if (overAddress(d.resources.get(o.resource))) return;
      const g = kindGroup(d.resources.get(o.resource));
      const fl = firstLast.get(g) ?? [i, i];
      firstLast.set(g, [Math.min(fl[0], i), Math.max(fl[1], i)]);
    });
    for (let i = 1; i < order.length; i++) {
      const [, lastBefore] = firstLast.get(order[i - 1])!;
      const [firstAfter] = firstLast.get(order[i])!;
      expect(lastBefore, `${order[i - 1]} before ${order[i]}`).toBeLessThan(firstAfter);
    }
  });

  it('every operation comes after the put operations of what its resource depends on', () => {
    p.operations.forEach((o, i) => {
      for (const dep of d.resources.get(o.resource)!.deps) {
        const j = putIndex(p, dep.id);
        if (j >= 0) expect(j, `${o.resource} after ${dep.id}`).toBeLessThan(i);
      }
    });
  });

  it('ports after their master, and the op that enslaves them names it', () => {
    for (const port of ['tap0', 'vx0', 'va0']) {
      const enslave = p.operations.findIndex((o) => o.resource === `link:${port}` && o.args.includes('master'));
      expect(enslave, port).toBeGreaterThan(putIndex(p, 'link:br0'));
      expect(p.operations[enslave].args).toEqual(expect.arrayContaining(['master', 'br0']));
    }
  });

  it('a vxlan after its underlay, a macvlan after its lower, the second veth end after the first', () => {
    expect(putIndex(p, 'link:vx0')).toBeGreaterThan(putIndex(p, 'link:uplink0'));
    expect(putIndex(p, 'link:mvb')).toBeGreaterThan(putIndex(p, 'link:uplink0'));
    expect(putIndex(p, 'link:vb0')).toBeGreaterThan(putIndex(p, 'link:va0'));
    // one command makes the pair
    expect(p.operations.filter((o) => o.args.includes('veth'))).toHaveLength(1);
  });

  it('a route after the address that reaches its gateway; a rule after the routes of its table', () => {
    expect(putIndex(p, 'route:100:203.0.113.128/26:10')).toBeGreaterThan(putIndex(p, 'address:br0:192.0.2.1/26'));
    expect(putIndex(p, 'route:254:192.0.2.128/26:0')).toBeGreaterThan(putIndex(p, 'address:vx1:203.0.113.1/28'));
    const rule = putIndex(p, 'rule:4:100:*:*:0x1/0xff:*:*');
    for (const r of d.resources.values())
      if (r.kind === 'route' && r.attrs.table === 100) expect(putIndex(p, r.id)).toBeLessThan(rule);
  });

  it("the plan's change list is in operation order", () => {
    const firstOp = (id: string) => p.operations.findIndex((o) => o.resource === id);
    const idx = p.changes.map((c) => firstOp(c.id)).filter((i) => i >= 0);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
  });

  it('checkAgainstLive: an ethernet the namespace lacks, and an existing link of another kind', () => {
    const missing = desired('version: 1\ninterfaces:\n  eth9: {kind: ethernet}\n');
    expect(checkAgainstLive(missing, empty).map((x) => x.message)).toEqual([
      expect.stringMatching(/"eth9" does not exist/),
    ]);
    const clash = desired('version: 1\ninterfaces:\n  br0: {kind: vxlan, vni: 5, remote: 192.0.2.1}\n');
    expect(checkAgainstLive(clash, live('rich')).map((x) => x.message)).toEqual([
      expect.stringMatching(/exists as a bridge/),
    ]);
  });
});

describe('a change the kernel cannot make in place: vxlan vni', () => {
  const l = live('applied', NS);

  it('a port: replaced, flagged disruptive, re-attached to its bridge by its own put', () => {
    const p = plan(desired(applied.replace('vni: 100', 'vni: 101')), l);
    const c = change(p, 'link:vx0');
    expect(c.action).toBe('replace');
    expect(c.disruptive).toBe(true);
    expect(c.attrs).toContainEqual(
      expect.objectContaining({ name: 'vni', before: 100, after: 101, forcesReplace: true }),
    );
    expect(c.reasons).toEqual([{ code: 'immutable-attribute', detail: { attribute: 'vni' } }]);
    const del = delIndex(p, 'link:vx0');
    expect(p.operations[del].args).toEqual(['link', 'del', 'dev', 'vx0']);
    const create = putIndex(p, 'link:vx0');
    expect(del).toBeLessThan(create);
    expect(p.operations[create].args).toEqual(expect.arrayContaining(['id', '101']));
    const reattach = p.operations.findIndex(
      (o, i) => i > create && o.resource === 'link:vx0' && o.args.includes('master'),
    );
    expect(p.operations[reattach].args).toEqual(expect.arrayContaining(['master', 'br0', 'up']));
    expect(p.operations.every((o) => o.resource !== 'link:br0')).toBe(true);
    expect(renderPlan(p, { color: false })).toMatch(/-\/\+ vxlan vx0 .*⚠/);
  });

  it('with an address: the kernel drops it with the link, so it is put back after the new link', () => {
    const p = plan(desired(applied.replace('vni: 200', 'vni: 201')), l);
    expect(change(p, 'link:vx1').action).toBe('replace');
    const a = change(p, 'address:vx1:203.0.113.1/28');
    expect(a.action).toBe('replace');
    expect(a.reasons).toEqual([{ code: 'dependency-recreated', detail: { dependency: 'vx1' } }]);
    // Words for people, codes for scripts: both in --json.
    const j = planJson(p).changes.find((c) => c.id === a.id)!;
    expect(j.reasons).toEqual(['vx1 is recreated']);
    expect(j.reason_codes).toEqual([{ code: 'dependency-recreated', detail: { dependency: 'vx1' } }]);
    expect(delIndex(p, 'address:vx1:203.0.113.1/28')).toBe(-1); // no explicit delete: the kernel does it
    expect(putIndex(p, 'address:vx1:203.0.113.1/28')).toBeGreaterThan(putIndex(p, 'link:vx1'));
    // nothing else recreated
    expect(
      p.changes
        .filter((x) => x.action === 'replace')
        .map((x) => x.id)
        .sort(),
    ).toEqual(expect.arrayContaining(['address:vx1:203.0.113.1/28', 'link:vx1']));
  });

  it('the kernel also drops the routes whose gateway it reached through the link (fixture evidence)', () => {
    const before = live('applied').resources;
    const after = live('vx1-deleted').resources;
    expect(before.has('route:254:192.0.2.128/26:0')).toBe(true);
    expect(after.has('route:254:192.0.2.128/26:0')).toBe(false);
    expect(after.has('address:vx1:203.0.113.1/28')).toBe(false);
  });

  // BUG (src/diff/diff.ts, cascade): when vx1 is recreated, the kernel removes the route
  // 192.0.2.128/26 via 203.0.113.2 (its nexthop is on vx1; see host/vx1-deleted), but the route's
  // dependency on the address that reaches the gateway is mode 'order', so the cascade leaves it
  // out. apply then fails verification ("still different: create route:254:192.0.2.128/26:0").
  it('… and puts those routes back', () => {
    const p = plan(desired(applied.replace('vni: 200', 'vni: 201')), l);
    const i = putIndex(p, 'route:254:192.0.2.128/26:0');
    expect(i).toBeGreaterThan(putIndex(p, 'address:vx1:203.0.113.1/28'));
  });
});

describe('deleting: only what nethost owns, dependents first', () => {
  const rich = live('rich', NS);
  // The file names only the uplink (with its static addresses, which it keeps).
  const d = desired(
    'version: 1\ninterfaces:\n  uplink0: {kind: ethernet, addresses: [198.51.100.2/24, "2001:db8:100::2/64"]}\n',
  );
  const p = plan(d, rich);
  const deleted = p.changes.filter((c) => c.action === 'delete');

  it('exactly the owned objects absent from the file are deleted', () => {
    const owned = [...rich.resources.values()].filter((r) => r.owned && !d.resources.has(r.id)).map((r) => r.id);
    expect(owned.length).toBeGreaterThan(15);
    expect(deleted.map((c) => c.id).sort()).toEqual(owned.sort());
  });

  it('nothing unowned is touched', () => {
    for (const c of p.changes) if (c.id !== 'link:uplink0') expect(c.before?.owned, c.id).toBe(true);
    for (const o of p.operations) {
      const r = rich.resources.get(o.resource);
      if (o.resource !== 'link:uplink0') expect(r?.owned, o.args.join(' ')).toBe(true);
    }
    // e.g. the default rules, a static route, an unowned bridge and its port, a permanent neighbour
    for (const id of [
      'rule:4:32766:*:*:*:*:*',
      'route:254:0.0.0.0/0:100',
      'link:br0',
      'link:tap0',
      'neighbor:br0:192.0.2.10',
      'address:br0:192.0.2.1/26',
    ])
      expect(changeIndex(p, id), id).toBe(-1);
  });

  it('the named, unowned uplink is adopted, its dynamic addresses left alone', () => {
    expect(change(p, 'link:uplink0').action).toBe('adopt');
    expect(p.changes.some((c) => c.id.startsWith('address:uplink0:'))).toBe(false);
  });

  it('dependents before what they hang on (changes and operations)', () => {
    let pairs = 0;
    for (const c of deleted)
      for (const dep of c.before!.deps) {
        if (!deleted.some((x) => x.id === dep.id)) continue;
        pairs++;
        expect(changeIndex(p, c.id), `${c.id} before ${dep.id}`).toBeLessThan(changeIndex(p, dep.id));
        const a = delIndex(p, c.id);
        const b = delIndex(p, dep.id);
        if (a >= 0 && b >= 0) expect(a, `${c.id} op before ${dep.id} op`).toBeLessThan(b);
      }
    expect(pairs).toBeGreaterThanOrEqual(5);
    // the bridge goes last of its family: its port and the macvlan on it first
    expect(delIndex(p, 'link:nhtap0')).toBeLessThan(delIndex(p, 'link:nhbr0'));
    expect(delIndex(p, 'link:nhmv0')).toBeLessThan(delIndex(p, 'link:nhbr0'));
    // every delete runs before every put
    const lastDel = Math.max(...p.operations.map((o, i) => (o.phase === 'delete' ? i : -1)));
    const firstPut = p.operations.findIndex((o) => o.phase !== 'delete');
    expect(lastDel).toBeLessThan(firstPut);
  });

  it('links nethost created are deleted; a device it only manages is released', () => {
    for (const n of ['nhbr0', 'nhtap0', 'nhmv0']) {
      expect(p.operations[delIndex(p, `link:${n}`)].args).toEqual(['link', 'del', 'dev', n]);
      expect(change(p, `link:${n}`).disruptive).toBe(true);
    }
    expect(p.operations[delIndex(p, 'link:lowc')].args).toEqual(['link', 'set', 'dev', 'lowc', 'alias', '']);
    expect(change(p, 'link:lowc').disruptive).toBe(false);
  });

  it('what the kernel removes with a deleted link gets no operation of its own; the rest does', () => {
    for (const id of [
      'address:nhbr0:192.0.2.129/26',
      'address:nhmv0:192.0.2.193/27',
      'route:254:198.51.100.128/25:0',
      'neighbor:nhbr0:192.0.2.130',
    ])
      expect(delIndex(p, id), id).toBe(-1);
    for (const id of [
      'address:lowc:203.0.113.33/32',
      'neighbor:br0:2001:db8:1::10',
      'route:254:203.0.113.192/27:0',
      'rule:4:100:*:*:0x1/0xff:*:*',
    ])
      expect(delIndex(p, id), id).toBeGreaterThanOrEqual(0);
    expect(p.operations[delIndex(p, 'route:254:203.0.113.192/27:0')].args.slice(0, 4)).toEqual([
      'route',
      'del',
      'blackhole',
      '203.0.113.192/27',
    ]);
  });
});

describe('adopting existing, unowned objects', () => {
  const rich = live('rich', NS);

  it('a bridge that matches the file is adopted: only its mark changes', () => {
    const p = plan(desired('version: 1\ninterfaces:\n  br2: {kind: bridge}\n'), rich);
    const c = change(p, 'link:br2');
    expect(c.action).toBe('adopt');
    expect(c.attrs.map((a) => a.name)).toEqual(['mark']);
    expect(c.disruptive).toBe(false);
    expect(p.operations.filter((o) => o.resource === 'link:br2').map((o) => o.args)).toEqual([
      ['link', 'set', 'dev', 'br2', 'alias', 'nethost'],
    ]);
    expect(renderPlan(p, { color: false })).toMatch(/& bridge br2 .*will be marked as managed/);
  });

  it('a route and a rule are adopted by re-writing them with protocol 232', () => {
    const text =
      'version: 1\ninterfaces:\n  br0: {kind: ethernet}\nroutes:\n  - {to: 203.0.113.0/25, via: 192.0.2.2}\nrules:\n  - {priority: 110, iif: br0, table: 100}\n';
    const p = plan(desired(text), rich);
    expect(change(p, 'route:254:203.0.113.0/25:0').action).toBe('adopt');
    expect(change(p, 'rule:4:110:*:*:*:br0:*').action).toBe('adopt');
    const route = p.operations.filter((o) => o.resource === 'route:254:203.0.113.0/25:0');
    expect(route).toHaveLength(1);
    expect(route[0].args).toEqual(
      expect.arrayContaining(['route', 'replace', '203.0.113.0/25', 'via', '192.0.2.2', 'proto', '232']),
    );
    const rule = p.operations
      .filter((o) => o.resource === 'rule:4:110:*:*:*:br0:*')
      .map((o) => o.args.slice(0, 2).join(' '));
    expect(rule).toEqual(['rule del', 'rule add']);
  });

  it('an adopted object with other differences still says adopt, and carries them', () => {
    const p = plan(desired('version: 1\ninterfaces:\n  br2: {kind: bridge, forward_delay: 9}\n'), rich);
    const c = change(p, 'link:br2');
    expect(c.action).toBe('adopt');
    expect(c.attrs.map((a) => a.name).sort()).toEqual(['forward_delay', 'mark']);
  });

  it("a vxlan whose port the kernel chose (8472) is replaced to get the file's 4789", () => {
    const p = plan(
      desired('version: 1\ninterfaces:\n  vxd: {kind: vxlan, vni: 400, remote: 203.0.113.8, state: down}\n'),
      rich,
    );
    expect(change(p, 'link:vxd')).toMatchObject({ action: 'replace', disruptive: true });
  });

  // BUG (src/kinds/links/vxlan.ts, liveAttrs; see normalise.test.ts): the live IPv6 endpoints are
  // not read, so a vxlan with IPv6 remote/local always differs and is replaced on every apply.
  it('a vxlan with IPv6 endpoints that matches the file is adopted, not replaced', () => {
    const p = plan(
      desired(
        'version: 1\ninterfaces:\n  vx6: {kind: vxlan, vni: 300, remote: "2001:db8:100::7", local: "2001:db8:100::2", ttl: 64}\n',
      ),
      rich,
    );
    expect(change(p, 'link:vx6').action).toBe('adopt');
  });
});

describe('IPv6 rules (iproute2 6.1: `ip rule` is IPv4 unless told -6)', () => {
  it('fixture evidence: without -6, an IPv6 prefix is refused and "from ::/0" makes an IPv4 rule', () => {
    const dir = join(HOST, 'rule6-nofamily');
    const out = readFileSync(join(dir, 'batch.out'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(out.map((f) => f[0])).toEqual(['ok', 'failed', 'failed']);
    expect(out[1][2]).toMatch(/Invalid source address/);
    expect(out[0][1]).toMatch(/from ::\/0/);
    const rl = live('rule6-nofamily');
    expect([...rl.resources.keys()].filter((id) => id.startsWith('rule:') && !/:(0|32766|32767):/.test(id))).toEqual([
      'rule:4:140:*:*:0x2/0xffffffff:*:*',
    ]);
    expect(raw('rule6-nofamily').rules6.filter((r) => r.priority === 140)).toEqual([]);
  });

  // BUG (src/kinds/rule.ts, ruleArgs): an IPv6 rule is planned as `ip rule add … from ::/0 …` or
  // `ip rule add … from 2001:db8:…` with no family option. iproute2 (6.1 here) makes such a rule
  // AF_INET: the first lands in the IPv4 list, the second fails "Invalid source address" (see
  // host/rule6-nofamily/batch.out). `ip -batch` lines cannot carry -6 either ("Object "-6" is
  // unknown"), so IPv6 rules need an `ip -6` invocation of their own. Deletes have the same problem
  // (`rule del priority N from ::/0 …` deletes a matching IPv4 rule).
  it('the command for an IPv6 rule selects IPv6', () => {
    const d = desired(
      'version: 1\nrules:\n  - {priority: 140, family: ipv6, fwmark: 2, type: prohibit}\n  - {priority: 130, from: "2001:db8:1::/64", table: 100}\n',
    );
    const p = plan(d, live('empty', NS));
    const cmds = planJson(p).operations.map((o) => o.command);
    expect(cmds).toHaveLength(2);
    for (const c of cmds) {
      const before = c.slice(0, c.indexOf('rule')).join(' ');
      expect(before).toMatch(/(^| )(-6|-f inet6|-family inet6)( |$)/);
    }
  });
});

describe('static neighbours in state noarp', () => {
  it('fixture evidence: `ip neigh show` (what read.ts runs) hides NOARP entries; `nud all` shows them', () => {
    const dir = join(HOST, 'neigh-noarp');
    const all = JSON.parse(readFileSync(join(dir, 'neigh-all.json'), 'utf8'));
    expect(all).toContainEqual(expect.objectContaining({ dst: '198.51.100.7', state: ['NOARP'], protocol: '232' }));
    expect(JSON.parse(readFileSync(join(dir, 'neigh.json'), 'utf8'))).toEqual([]);
    expect(raw('neigh-noarp').neighbors).toContainEqual(expect.objectContaining({ dst: '198.51.100.7' }));
  });

  // Was a bug (src/live/read.ts read a plain 'neigh show'): iproute2 leaves NUD_NOARP entries out of a
  // plain `neigh show`, so a neighbour the file gives `state: noarp` is never seen after apply and
  // every plan wants to create it again (apply fails its verification). `neigh show nud all` lists
  // them (and also the kernel's multicast NOARP entries, which are not nethost's: see neigh-all.json).
  it('after applying a noarp neighbour, the second plan is empty', () => {
    const p = plan(desired(fileText('neigh-noarp')), live('neigh-noarp', NS));
    expect(p.changes.map((c) => `${c.action} ${c.id}`)).toEqual([]);
  });
});

describe('plans that the kernel must be able to carry out', () => {
  const l = live('applied', NS);

  /** Problems checkAgainstLive reports (an error before anything runs is an acceptable answer). */
  const refused = (text: string) => checkAgainstLive(desired(text), l).length > 0;

  // Was a BUG (src/diff/diff.ts kindChanged + src/kinds/links/common.ts delete + src/config/load.ts
  // checkAgainstLive): uplink0 is an existing device nethost only manages (ifalias
  // "nethost:existing", the file said kind: ethernet). When the file then calls it a bridge, the diff
  // plans a replace whose delete only clears the alias (nethost never deletes such a device) and
  // whose put is `ip link add name uplink0 type bridge`: EEXIST, always. checkAgainstLive refuses
  // this only for unowned links ("exists as a veth that nethost did not create").
  it('never `link add` a name that still exists at that point of the plan', () => {
    const text = applied.replace('uplink0:\n    kind: ethernet', 'uplink0:\n    kind: bridge');
    expect(text).not.toBe(applied);
    if (refused(text)) return;
    const p = plan(desired(text), l);
    const present = new Set(l.linkNames);
    for (const o of p.operations) {
      if (o.args[0] === 'link' && o.args[1] === 'del') present.delete(o.args[3]);
      if (o.args[0] === 'link' && o.args[1] === 'add') expect(present.has(o.args[3]), o.args.join(' ')).toBe(false);
    }
  });

  it('a link that is deleted first may be added again (the vni replace)', () => {
    const p = plan(desired(applied.replace('vni: 100', 'vni: 101')), l);
    const present = new Set(l.linkNames);
    for (const o of p.operations) {
      if (o.args[0] === 'link' && o.args[1] === 'del') present.delete(o.args[3]);
      if (o.args[0] === 'link' && o.args[1] === 'add') expect(present.has(o.args[3]), o.args.join(' ')).toBe(false);
    }
  });

  // Was a BUG (src/kinds/links/macvlan.ts: mode is not immutable, changeArgs sets it in place): the kernel
  // refuses to change a macvlan/macvtap into or out of passthru in place (macvlan_changelink:
  // EINVAL; checked by hand on this kernel: `ip link set dev mv0 type macvlan mode passthru` →
  // "RTNETLINK answers: Invalid argument", while bridge → vepa works). The plan is such an update.
  it('a macvlan is not switched to passthru in place', () => {
    // mtp leaves the file: a passthru macvlan must be alone on its lower device.
    const text = applied
      .replace(
        'mvb: {kind: macvlan, link: uplink0, mode: bridge}',
        'mvb: {kind: macvlan, link: uplink0, mode: passthru}',
      )
      .replace('  mtp: {kind: macvtap, link: uplink0, mode: private}\n', '');
    expect(text).not.toContain('mtp:');
    if (refused(text)) return;
    const p = plan(desired(text), l);
    const inPlace = p.operations.filter(
      (o) => o.args.slice(0, 4).join(' ') === 'link set dev mvb' && o.args.includes('passthru'),
    );
    expect(inPlace).toEqual([]);
  });

  it('… while bridge → vepa is an in-place update', () => {
    const p = plan(
      desired(
        applied.replace(
          'mvb: {kind: macvlan, link: uplink0, mode: bridge}',
          'mvb: {kind: macvlan, link: uplink0, mode: vepa}',
        ),
      ),
      l,
    );
    expect(change(p, 'link:mvb').action).toBe('update');
    expect(p.operations.map((o) => o.args.join(' '))).toEqual(['link set dev mvb type macvlan mode vepa']);
  });
});

describe('rendering', () => {
  const d = desired(applied);
  const p = plan(d, live('empty', NS));

  it('--script: a shell line per operation, the full argv, aimed at the namespace', () => {
    const lines = renderScript(p).trimEnd().split('\n');
    expect(lines[0]).toBe('#!/bin/sh');
    expect(lines).toContain('set -e');
    const cmds = lines.filter((l) => !l.startsWith('#') && l !== 'set -e');
    expect(cmds).toHaveLength(p.operations.length);
    cmds.forEach((line, i) => {
      const o = p.operations[i];
      const want =
        o.backend === 'ip'
          ? ['ip', '-n', NS, ...(o.options ?? []), ...o.args]
          : ['ip', 'netns', 'exec', NS, 'sysctl', '-q', '-w', ...o.args];
      // every value in this plan is shell-safe: the line is the argv joined by blanks
      expect(line.split(' '), line).toEqual(want);
    });
  });

  it('--script quotes what the shell would split or expand', () => {
    const rich = live('rich', NS);
    const del = plan(
      desired(
        'version: 1\ninterfaces:\n  uplink0: {kind: ethernet, addresses: [198.51.100.2/24, "2001:db8:100::2/64"]}\n',
      ),
      rich,
    );
    expect(renderScript(del)).toContain("ip -n ns-test link set dev lowc alias ''\n");
  });

  it('--json: format_version, summary, changes, operations with the command argv', () => {
    const j = planJson(p);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
    expect(j.format_version).toBe('3');
    expect(j.netns).toBe(NS);
    expect(j.summary).toEqual({
      create: p.changes.filter((c) => c.action === 'create').length,
      update: 0,
      replace: 0,
      delete: 0,
      adopt: 1,
      disruptive: p.changes.filter((c) => c.disruptive).length,
    });
    expect(j.changes.map((c) => c.id)).toEqual(p.changes.map((c) => c.id));
    for (const c of j.changes) {
      expect(Object.keys(c).sort()).toEqual(
        ['action', 'attributes', 'disruptive', 'id', 'kind', 'name', 'reason_codes', 'reasons'].sort(),
      );
      for (const a of c.attributes)
        expect(Object.keys(a).sort()).toEqual(['after', 'before', 'forces_replace', 'name']);
    }
    expect(j.changes.find((c) => c.id === 'link:br0')!.name).toBe('bridge br0');
    expect(j.operations).toHaveLength(p.operations.length);
    j.operations.forEach((o, i) => {
      const op = p.operations[i];
      expect(o).toEqual({
        resource: op.resource,
        action: op.action,
        phase: op.phase,
        backend: op.backend,
        disruptive: op.disruptive,
        command:
          op.backend === 'ip'
            ? ['ip', '-n', NS, ...(op.options ?? []), ...op.args]
            : ['ip', 'netns', 'exec', NS, 'sysctl', '-q', '-w', ...op.args],
      });
    });
  });

  it('--json for the empty second plan', () => {
    const j = planJson(plan(d, live('applied', NS)));
    expect(j).toMatchObject({
      format_version: '3',
      changes: [],
      operations: [],
      summary: { create: 0, update: 0, replace: 0, delete: 0, adopt: 0, disruptive: 0 },
    });
  });

  it('human: one block per change and a summary line that adds up', () => {
    const text = renderPlan(p, { color: false });
    expect(text).not.toMatch(/\x1b\[/);
    const s = planJson(p).summary;
    expect(text).toContain(
      `Plan: ${s.create} to create, 0 to update, 0 to replace, 0 to delete, 1 to adopt; ${p.operations.length} operations.`,
    );
    expect(text.split('\n').filter((l) => /^ {2}\+ /.test(l))).toHaveLength(s.create);
    expect(renderPlan(p, { color: true })).toMatch(/\x1b\[32m/);
  });

  it('human: the warning line counts disruptive changes in good English', () => {
    // Removing what the 'applied' fixture holds deletes many links.
    const removal = plan(desired('version: 1\n'), live('applied', 'ns-test'));
    const disruptive = removal.changes.filter((c) => c.disruptive);
    expect(disruptive.length).toBeGreaterThan(1);
    expect(renderPlan(removal, { color: false })).toContain(
      `${disruptive.length} changes take a link down or recreate it.`,
    );
    const one = {
      ...removal,
      changes: [disruptive[0]],
      operations: removal.operations.filter((o) => o.resource === disruptive[0].id),
    };
    expect(renderPlan(one, { color: false })).toContain('1 change takes a link down or recreates it.');
  });
});
