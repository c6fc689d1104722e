// The documents' own networks, exactly (issue 10), and releasing what nethost found as it was found
// (issue 9): peer addresses, host-scope addresses on lo, the routes the kernel derives from addresses,
// the addresses an adopted device keeps, the file's order of ports, tunnels after their local address,
// and what a plan shows when it changes something nethost did not create. On the captured state
// test/fixtures/host/fidelity/ (see test/fixtures/capture.sh for the commands that built it).
import { parseLinkMark, existingMark } from '../../src/kinds/links/mark.js';
import { describe, it, expect } from 'vitest';
import type { Change, LiveState, Plan } from '../../src/model.js';
import { diff } from '../../src/diff/diff.js';
import { buildPlan } from '../../src/plan/plan.js';
import { checkAgainstLive } from '../../src/config/load.js';
import { renderPlan } from '../../src/render/human.js';
import { renderScript } from '../../src/render/script.js';
import { planJson } from '../../src/render/json.js';
import { normaliseLive } from '../../src/live/normalise.js';
import type { RawLive } from '../../src/backends/types.js';
import { desired, facts, live, load, plan, putIndex, raw } from './fixtures.js';

const NS = 'ns-test';
const fid = live('fidelity', NS);
const get = (l: LiveState, id: string) => {
  const r = l.resources.get(id);
  if (!r) throw new Error(`no ${id}; have ${[...l.resources.keys()].join(', ')}`);
  return r;
};
const change = (p: Plan, id: string): Change => {
  const c = p.changes.find((x) => x.id === id);
  if (!c) throw new Error(`no change for ${id}; have ${p.changes.map((x) => `${x.action} ${x.id}`).join(', ')}`);
  return c;
};
const cmds = (p: Plan, id?: string) =>
  p.operations.filter((o) => !id || o.resource === id).map((o) => o.args.join(' '));
const ids = (p: Plan) => p.changes.map((c) => `${c.action} ${c.id}`);
const normalised = (r: RawLive): LiveState => normaliseLive(r, facts(), NS);

describe('reading what the documents build (fixture host/fidelity)', () => {
  it("lo: host-scope 127.0.0.2/8 and the anycast /32, /128 are read; the kernel's 127.0.0.1/8 and ::1 are not", () => {
    const lo = raw('fidelity').links.find((l) => l.ifname === 'lo')!;
    expect(lo.addr_info!.find((a) => a.local === '127.0.0.2')!.scope).toBe('host'); // the kernel makes 127/8 host scope
    const read = [...fid.resources.keys()].filter((id) => id.startsWith('address:lo:')).sort();
    expect(read).toEqual(['address:lo:127.0.0.2/8', 'address:lo:192.0.2.53/32', 'address:lo:2001:db8:53::53/128']);
  });

  it('a peer address is read with its peer (ip -j puts the peer in "address", the prefix length is the peer\'s)', () => {
    const pa = raw('fidelity').links.find((l) => l.ifname === 'pa')!;
    expect(pa.addr_info![0]).toMatchObject({ local: '192.0.2.1', address: '192.0.2.2', prefixlen: 32 });
    expect(get(fid, 'address:pa:192.0.2.1 peer 192.0.2.2/32').attrs).toEqual({
      dev: 'pa',
      address: '192.0.2.1/32',
      peer: '192.0.2.2/32',
    });
    expect(get(fid, 'address:pa:2001:db8:4::1 peer 2001:db8:4::2/128').attrs).toMatchObject({
      address: '2001:db8:4::1/128',
      peer: '2001:db8:4::2/128',
    });
    expect(fid.resources.has('address:pa:192.0.2.1/32')).toBe(false);
    // what the peer address makes reachable is the peer
    expect(fid.addresses).toContain('192.0.2.2/32');
    expect(fid.addresses).not.toContain('192.0.2.1/32');
  });

  it("an adopted device: its mark is nethost:existing whatever it records; the address it had is not nethost's, the one nethost added is", () => {
    expect(raw('fidelity').links.find((l) => l.ifname === 'uplink0')!.ifalias).toBe(
      'nethost:existing;keep=198.51.100.2',
    );
    const up = get(fid, 'link:uplink0');
    expect(up.owned).toBe(true);
    expect(up.attrs).toMatchObject({ mark: 'nethost:existing', keep: ['198.51.100.2'] });
    expect(get(fid, 'address:uplink0:198.51.100.2/24').owned).toBe(false);
    expect(get(fid, 'address:uplink0:203.0.113.9/24').owned).toBe(true);
  });

  it("kernel-derived routes are read as the kernel's: never owned, hanging on their link and on the address that makes them", () => {
    const peer = get(fid, 'route:254:192.0.2.2/32:0');
    expect(peer.owned).toBe(false);
    expect(peer.attrs).toMatchObject({ mark: 'kernel', dev: 'pa', src: '192.0.2.1', via: null, type: 'unicast' });
    expect(peer.deps).toEqual([
      { id: 'link:pa', via: 'dev', mode: 'recreate' },
      { id: 'address:pa:192.0.2.1 peer 192.0.2.2/32', via: 'address', mode: 'recreate' },
    ]);
    expect(get(fid, 'route:254:198.51.100.0/24:0').deps).toContainEqual({
      id: 'address:uplink0:198.51.100.2/24',
      via: 'address',
      mode: 'recreate',
    });
    expect(get(fid, 'route:254:2001:db8:4::2/128:256').deps).toContainEqual({
      id: 'address:pa:2001:db8:4::1 peer 2001:db8:4::2/128',
      via: 'address',
      mode: 'recreate',
    });
    expect(get(fid, 'route:254:2001:db8:4::1/128:256').deps).toContainEqual({
      id: 'address:pa:2001:db8:4::1 peer 2001:db8:4::2/128',
      via: 'address',
      mode: 'recreate',
    });
    expect(get(fid, 'route:254:2001:db8:53::53/128:256').deps).toContainEqual({
      id: 'address:lo:2001:db8:53::53/128',
      via: 'address',
      mode: 'recreate',
    });
    // the link-local prefix comes with the link-local address, which nethost never reads either
    expect(raw('fidelity').routes6.some((r) => r.dst === 'fe80::/64' && r.protocol === 'kernel')).toBe(true);
    expect(fid.resources.has('route:254:fe80::/64:256')).toBe(false);
    // the static route of table 100 with the same destination is somebody else's, not the kernel's
    expect(get(fid, 'route:100:192.0.2.128/25:0').attrs.mark).toBe('static');
  });

  it("ports: the kernel numbers them as they join (fixture evidence for keeping the file's order)", () => {
    const no = (n: string) => raw('fidelity').links.find((l) => l.ifname === n)!.linkinfo!.info_slave_data!.no;
    expect([no('pq1'), no('pq0')]).toEqual(['0x1', '0x2']);
  });
});

describe('the ifalias of an adopted device records the addresses it keeps', () => {
  it('parses every form, and anything else after nethost:existing keeps everything', () => {
    expect(parseLinkMark(undefined)).toEqual({ mark: null, keep: null });
    expect(parseLinkMark('nethost')).toEqual({ mark: 'nethost', keep: null });
    expect(parseLinkMark('hand made')).toEqual({ mark: 'hand made', keep: null });
    expect(parseLinkMark('nethost:existing')).toEqual({ mark: 'nethost:existing', keep: [] });
    expect(parseLinkMark('nethost:existing;keep=198.51.100.1,2001:DB8:0::1')).toEqual({
      mark: 'nethost:existing',
      keep: ['198.51.100.1', '2001:db8::1'],
    });
    expect(parseLinkMark('nethost:existing;keep=all')).toEqual({ mark: 'nethost:existing', keep: 'all' });
    expect(parseLinkMark('nethost:existing;keep=198.51.100.1,garbage')).toEqual({
      mark: 'nethost:existing',
      keep: 'all',
    });
    expect(parseLinkMark('nethost:existing keep=198.51.100.1')).toEqual({ mark: 'nethost:existing', keep: 'all' });
  });

  it('writes what it parses, and "all" when the list does not fit in the 255 bytes of an alias', () => {
    expect(existingMark([])).toBe('nethost:existing');
    expect(existingMark(['198.51.100.1', '2001:db8::1'])).toBe('nethost:existing;keep=198.51.100.1,2001:db8::1');
    expect(parseLinkMark(existingMark(['198.51.100.1', '2001:db8::1'])).keep).toEqual(['198.51.100.1', '2001:db8::1']);
    const many = Array.from({ length: 40 }, (_, i) => `2001:db8::${i + 1000}`);
    expect(existingMark(many)).toBe('nethost:existing;keep=all');
    const fits = Array.from({ length: 14 }, (_, i) => `198.51.100.${i + 100}`);
    expect(Buffer.byteLength(existingMark(fits))).toBeLessThanOrEqual(255);
    expect(parseLinkMark(existingMark(fits)).keep).toEqual(fits);
  });

  it('ends with the alias the device had before, whatever bytes it holds, and gives up the list before the alias', () => {
    const was = 'rack 3 uplink; keep=all;alias=x';
    expect(existingMark(['198.51.100.1'], was)).toBe(`nethost:existing;keep=198.51.100.1;alias=${was}`);
    expect(parseLinkMark(existingMark(['198.51.100.1'], was))).toEqual({
      mark: 'nethost:existing',
      keep: ['198.51.100.1'],
      was,
    });
    expect(parseLinkMark(existingMark([], was))).toEqual({ mark: 'nethost:existing', keep: [], was });
    expect(parseLinkMark(existingMark('all', 'x'))).toEqual({ mark: 'nethost:existing', keep: 'all', was: 'x' });
    const many = Array.from({ length: 16 }, (_, i) => `198.51.100.${i + 100}`);
    expect(Buffer.byteLength(existingMark(many, 'rack 3 uplink'))).toBeLessThanOrEqual(255);
    expect(parseLinkMark(existingMark(many, 'rack 3 uplink'))).toEqual({
      mark: 'nethost:existing',
      keep: 'all',
      was: 'rack 3 uplink',
    });
    const long = 'x'.repeat(240);
    expect(parseLinkMark(existingMark(['198.51.100.1'], long))).toEqual({
      mark: 'nethost:existing',
      keep: ['198.51.100.1'],
    });
    expect(existingMark(['198.51.100.1'], null)).toBe('nethost:existing;keep=198.51.100.1');
  });
});

describe('existing devices are released as they were found', () => {
  it('adopting a device records the addresses it has in its mark', () => {
    const l = live('rich', NS);
    const p = plan(desired('version: 1\ninterfaces:\n  uplink0: {kind: ethernet, addresses: [198.51.100.2/24]}\n'), l);
    expect(cmds(p, 'link:uplink0')).toEqual([
      'link set dev uplink0 alias nethost:existing;keep=198.51.100.2,2001:db8:100::2',
    ]);
    expect(renderPlan(p, { color: false })).toContain(
      'alias (none) → "nethost:existing;keep=198.51.100.2,2001:db8:100::2"',
    );
  });

  it('released: the address nethost added goes, the one the device had stays, and so does the foreign route over it', () => {
    const p = plan(desired('version: 1\n'), fid);
    expect(change(p, 'link:uplink0').action).toBe('delete');
    expect(p.operations.filter((o) => o.resource === 'link:uplink0').map((o) => o.args)).toEqual([
      ['link', 'set', 'dev', 'uplink0', 'alias', ''],
    ]);
    expect(cmds(p, 'address:uplink0:203.0.113.9/24')).toEqual(['address del 203.0.113.9/24 dev uplink0']);
    for (const id of [
      'address:uplink0:198.51.100.2/24',
      'route:254:0.0.0.0/0:0',
      'route:254:198.51.100.0/24:0',
      'route:254:203.0.113.0/24:0',
    ])
      expect(
        p.changes.find((c) => c.id === id),
        id,
      ).toBeUndefined();
    expect(renderPlan(p, { color: false })).toMatch(
      /released, never deleted; the addresses it had before nethost stay/,
    );
  });

  it('an alias nethost cannot read, or keep=all, keeps every address', () => {
    for (const alias of ['nethost:existing;keep=all', 'nethost:existing;keep=not-an-ip']) {
      const r = raw('fidelity');
      r.links = r.links.map((l) => (l.ifname === 'uplink0' ? { ...l, ifalias: alias } : l));
      const l = normalised(r);
      expect(get(l, 'link:uplink0').owned, alias).toBe(true);
      const p = plan(desired('version: 1\n'), l);
      expect(
        ids(p).filter((x) => x.includes('uplink0')),
        alias,
      ).toEqual(['delete link:uplink0']);
    }
  });

  it("`addresses:` absent leaves a device's addresses as they are; `addresses: []` removes them", () => {
    const l = live('rich', NS);
    const absent = plan(desired('version: 1\ninterfaces:\n  uplink0: {kind: ethernet}\n'), l);
    expect(ids(absent).filter((x) => x.includes('uplink0'))).toEqual(['adopt link:uplink0']);
    const none = plan(desired('version: 1\ninterfaces:\n  uplink0: {kind: ethernet, addresses: []}\n'), l);
    expect(
      ids(none)
        .filter((x) => x.startsWith('delete address:uplink0'))
        .sort(),
    ).toEqual(['delete address:uplink0:198.51.100.2/24', 'delete address:uplink0:2001:db8:100::2/64']);
    // on a link nethost made too: a file that stops listing addresses stops managing them
    const made = plan(
      desired(
        'version: 1\ninterfaces:\n  nhbr0: {kind: bridge}\n  nhtap0: {kind: tap}\n  nhmv0: {kind: macvlan, link: nhbr0, mode: bridge}\n',
      ),
      l,
    );
    expect(made.changes.filter((c) => c.kind === 'address' && /nhbr0|nhmv0/.test(c.id))).toEqual([]);
    expect(
      desired('version: 1\ninterfaces:\n  uplink0: {kind: ethernet}\n').resources.get('link:uplink0')!.attrs.addresses,
    ).toBeUndefined();
    expect(
      desired('version: 1\ninterfaces:\n  uplink0: {kind: ethernet, addresses: []}\n').resources.get('link:uplink0')!
        .attrs.addresses,
    ).toEqual([]);
  });

  it('adopting a hand-made bridge shows the alias it overwrites (and JSON has the old value)', () => {
    const p = plan(
      desired(
        'version: 1\ninterfaces:\n  brh: {kind: bridge, ports: [pq1, pq0]}\n  pq0: {kind: ethernet}\n  pq1: {kind: ethernet}\n',
      ),
      fid,
    );
    expect(change(p, 'link:brh').action).toBe('adopt');
    expect(renderPlan(p, { color: false })).toMatch(/& bridge brh .*\n\s+alias "hand made" → "nethost"\n/);
    const j = planJson(p).changes.find((c) => c.id === 'link:brh')!;
    expect(j.attributes).toContainEqual({ name: 'mark', before: 'hand made', after: 'nethost', forces_replace: false });
  });
});

describe('lo: host-scope addresses', () => {
  it('127.0.0.2/8 in the file is met by the one on lo (a second plan is empty)', () => {
    const d = desired(
      'version: 1\ninterfaces:\n  lo: {kind: ethernet, addresses: [127.0.0.2/8, 192.0.2.53/32, "2001:db8:53::53/128"]}\n',
    );
    expect(ids(plan(d, fid)).filter((x) => !x.includes('uplink0'))).toEqual(['adopt link:lo']);
  });

  it("the kernel's 127.0.0.1/8 and ::1 are never touched, even by `addresses: []`", () => {
    const p = plan(desired('version: 1\ninterfaces:\n  lo: {kind: ethernet, addresses: []}\n'), fid);
    expect(
      ids(p)
        .filter((x) => x.startsWith('delete') && !x.includes('uplink0'))
        .sort(),
    ).toEqual([
      'delete address:lo:127.0.0.2/8',
      'delete address:lo:192.0.2.53/32',
      'delete address:lo:2001:db8:53::53/128',
    ]);
    expect(cmds(p).some((c) => /127\.0\.0\.1|::1\/128/.test(c))).toBe(false);
  });
});

describe('peer addresses in the file', () => {
  it('three forms, one address', () => {
    for (const form of [
      '"192.0.2.1 peer 192.0.2.2/32"',
      '"192.0.2.1/32 peer 192.0.2.2"',
      '{address: 192.0.2.1, peer: 192.0.2.2/32}',
    ]) {
      const d = desired(`version: 1\ninterfaces:\n  pa: {kind: ethernet, addresses: [${form}]}\n`);
      expect(d.resources.get('address:pa:192.0.2.1 peer 192.0.2.2/32')?.attrs, form).toEqual({
        dev: 'pa',
        address: '192.0.2.1/32',
        peer: '192.0.2.2/32',
      });
    }
  });

  it('the one the kernel holds is met: nothing to do', () => {
    const d = desired(
      'version: 1\ninterfaces:\n  pa: {kind: ethernet, addresses: ["192.0.2.1 peer 192.0.2.2/32", "2001:db8:4::1 peer 2001:db8:4::2"]}\n',
    );
    expect(ids(plan(d, fid)).filter((x) => !x.includes('uplink0'))).toEqual(['adopt link:pa']);
  });

  it('written as ip writes it, without a broadcast; a gateway behind the peer is reachable', () => {
    const d = desired(
      'version: 1\ninterfaces:\n  uplink0: {kind: ethernet, addresses: ["192.0.2.1 peer 192.0.2.2"]}\nroutes:\n  - {to: default, via: 192.0.2.2}\n',
    );
    const l = live('empty', NS);
    expect(checkAgainstLive(d, l)).toEqual([]);
    const p = plan(d, l);
    expect(cmds(p, 'address:uplink0:192.0.2.1 peer 192.0.2.2/32')).toEqual([
      'address add 192.0.2.1 peer 192.0.2.2/32 dev uplink0',
    ]);
    expect(d.resources.get('route:254:0.0.0.0/0:0')!.deps).toContainEqual({
      id: 'address:uplink0:192.0.2.1 peer 192.0.2.2/32',
      via: 'via',
      mode: 'recreate',
    });
    expect(putIndex(p, 'route:254:0.0.0.0/0:0')).toBeGreaterThan(
      putIndex(p, 'address:uplink0:192.0.2.1 peer 192.0.2.2/32'),
    );
    expect(renderPlan(p, { color: false })).toContain('+ address 192.0.2.1 peer 192.0.2.2/32 on uplink0');
  });

  it('bad forms are refused at their position, saying what to write', () => {
    const cases: [string, RegExp][] = [
      [
        '"192.0.2.1/24 peer 192.0.2.2/32"',
        /the prefix length is the peer's.*write the address without one, e\.g\. 192\.0\.2\.1 peer 192\.0\.2\.2\/32/,
      ],
      ['"192.0.2.1 peer 2001:db8::2"', /different families/],
      ['{address: 192.0.2.1, peer: nowhere}', /peer "nowhere" is not an address/],
      ['"192.0.2.1"', /not an address with prefix length.*192\.0\.2\.1 peer 192\.0\.2\.2\/32/],
      ['{address: 192.0.2.1/24, pear: 192.0.2.2}', /unknown key "pear"/],
    ];
    for (const [form, re] of cases) {
      const r = load(`version: 1\ninterfaces:\n  pa: {kind: ethernet, addresses: [${form}]}\n`, 'f.yaml');
      expect(r.desired, form).toBeUndefined();
      const text = r.diagnostics.map((x) => `${x.source?.line}:${x.source?.col} ${x.message}; ${x.hint}`).join('\n');
      expect(text, form).toMatch(re);
      expect(r.diagnostics[0].source?.line, form).toBe(3);
    }
  });
});

describe('routes the kernel derives from addresses', () => {
  it("a file route equal to the kernel's (the peer route, a prefix route) is met by it: no operation, no takeover", () => {
    const d = desired(
      'version: 1\ninterfaces:\n  pa: {kind: ethernet}\n  uplink0: {kind: ethernet}\nroutes:\n  - {to: 192.0.2.2, dev: pa}\n  - {to: 198.51.100.0/24, dev: uplink0, src: 198.51.100.2}\n  - {to: "2001:db8:4::2", dev: pa, metric: 256}\n',
    );
    expect(checkAgainstLive(d, fid)).toEqual([]);
    const p = plan(d, fid);
    expect(p.changes.filter((c) => c.kind === 'route')).toEqual([]);
    expect(cmds(p).filter((c) => c.startsWith('route'))).toEqual([]);
  });

  it('… and one that would take it over (a gateway, another link) is refused with a hint', () => {
    const d = desired(
      'version: 1\ninterfaces:\n  pa: {kind: ethernet}\n  pb: {kind: ethernet}\nroutes:\n  - {to: 192.0.2.2/32, dev: pb}\n',
    );
    const problems = checkAgainstLive(d, fid);
    expect(problems.map((x) => x.message)).toEqual([
      expect.stringMatching(/route 192\.0\.2\.2\/32: the kernel's own route to 192\.0\.2\.2\/32 on pa .*take it over/),
    ]);
    expect(problems[0].hint).toMatch(/another metric \(e\.g\. metric: 10\)/);
    expect(problems[0].source?.line).toBe(6);
  });

  it('with the address in the same file: the route is expected from the kernel, after the address, and needs no operation', () => {
    const d = desired(
      'version: 1\ninterfaces:\n  uplink0: {kind: ethernet, addresses: ["192.0.2.1 peer 192.0.2.2/32", 198.51.100.2/24]}\nroutes:\n  - {to: 192.0.2.2/32, dev: uplink0}\n  - {to: 198.51.100.0/24, dev: uplink0}\n',
    );
    const r = d.resources.get('route:254:192.0.2.2/32:0')!;
    expect(r.attrs.mark).toBe('kernel');
    expect(r.deps).toContainEqual({
      id: 'address:uplink0:192.0.2.1 peer 192.0.2.2/32',
      via: 'address',
      mode: 'recreate',
    });
    const p = plan(d, live('empty', NS));
    expect(change(p, 'route:254:192.0.2.2/32:0').action).toBe('create');
    expect(cmds(p).filter((c) => c.startsWith('route'))).toEqual([]);
    expect(renderPlan(p, { color: false })).toMatch(/\+ route 192\.0\.2\.2\/32 .*the kernel's own route/);
  });

  it("… and one in the same file that would replace the kernel's is refused where it is written", () => {
    const r = load(
      'version: 1\ninterfaces:\n  uplink0: {kind: ethernet, addresses: [198.51.100.2/24]}\nroutes:\n  - {to: 198.51.100.0/24, via: 198.51.100.1}\n',
      'f.yaml',
    );
    expect(r.desired).toBeUndefined();
    expect(r.diagnostics.map((x) => `${x.source?.line} ${x.message}`)).toEqual([
      expect.stringMatching(/^5 .*kernel's own route for address 198\.51\.100\.2\/24 on uplink0/),
    ]);
  });

  it("an IPv6 route at the default metric 1024 is a route of its own beside the kernel's at 256", () => {
    const d = desired(
      'version: 1\ninterfaces:\n  pa: {kind: ethernet, addresses: ["2001:db8:9::1/64"]}\nroutes:\n  - {to: "2001:db8:9::/64", dev: pa}\n',
    );
    expect(d.resources.get('route:254:2001:db8:9::/64:1024')!.attrs.mark).toBe('232');
  });

  it("the kernel's routes are never deleted, whatever goes", () => {
    const p = plan(desired('version: 1\n'), fid);
    expect(p.changes.filter((c) => c.kind === 'route')).toEqual([]);
  });
});

describe('neighbours nethost did not create keep their protocol when given back', () => {
  it('restoring a snapshot where the entry had no protocol: flush, then replace without one', () => {
    const before = live('fidelity', NS);
    const adopted = plan(
      desired(
        'version: 1\ninterfaces:\n  pb: {kind: ethernet}\nneighbors:\n  - {dev: pb, to: 192.0.2.2, lladdr: 02:00:00:00:00:22}\n',
      ),
      before,
    );
    expect(change(adopted, 'neighbor:pb:192.0.2.2').action).toBe('adopt');
    expect(cmds(adopted, 'neighbor:pb:192.0.2.2')).toEqual([
      'neigh replace 192.0.2.2 lladdr 02:00:00:00:00:22 dev pb nud permanent protocol 232',
    ]);
    // the state after that adoption, and the rollback to the snapshot
    const r = raw('fidelity');
    r.neighbors = r.neighbors.map((n) => (n.dst === '192.0.2.2' ? { ...n, protocol: '232' } : n));
    const after = normalised(r);
    const target = { file: '(snapshot)', resources: before.resources };
    const back = buildPlan(diff(target, after, { scope: new Set(['neighbor:pb:192.0.2.2']) }), target, after);
    expect(cmds(back)).toEqual([
      'neigh flush to 192.0.2.2 dev pb nud all',
      'neigh replace 192.0.2.2 lladdr 02:00:00:00:00:22 dev pb nud permanent',
    ]);
  });
});

describe("order: tunnels after their local address, ports in the file's order", () => {
  it('a tunnel (and a vxlan) goes after the address that holds its local, wherever it is declared', () => {
    const d = desired(`version: 1
interfaces:
  uplink0: {kind: ethernet, addresses: [198.51.100.1/24]}
  mgre0: {kind: gre, key: 42, dev: uplink0, local: 198.51.100.1, remote: 239.1.1.66, ttl: 64, addresses: [192.0.2.1/24]}
  vx9: {kind: vxlan, vni: 9, local: 198.51.100.1, group: 239.1.1.9, dev: uplink0}
`);
    expect(d.resources.get('link:mgre0')!.deps).toContainEqual({
      id: 'address:uplink0:198.51.100.1/24',
      via: 'local',
      mode: 'order',
    });
    const p = plan(d, live('empty', NS));
    for (const l of ['link:mgre0', 'link:vx9'])
      expect(putIndex(p, l), l).toBeGreaterThan(putIndex(p, 'address:uplink0:198.51.100.1/24'));
  });

  it("bridge ports join in the file's order, not by name", () => {
    const d = desired(
      'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [vx0, tap0]}\n  vx0: {kind: vxlan, vni: 5, remote: 203.0.113.7}\n  tap0: {kind: tap}\n',
    );
    const p = plan(d, live('empty', NS));
    const enslave = (n: string) =>
      p.operations.findIndex((o) => o.resource === `link:${n}` && o.args.includes('master'));
    expect(enslave('vx0')).toBeLessThan(enslave('tap0'));
    expect(change(p, 'link:br0').attrs).toContainEqual(
      expect.objectContaining({ name: 'ports', after: ['vx0', 'tap0'] }),
    );
  });

  it('existing ports too (adopted with the bridge), and a port that hangs on a later one keeps its dependency', () => {
    const p = plan(
      desired(
        'version: 1\ninterfaces:\n  br9: {kind: bridge, ports: [pq1, pq0]}\n  pq0: {kind: ethernet}\n  pq1: {kind: ethernet}\n',
      ),
      fid,
    );
    const enslave = (n: string) =>
      p.operations.findIndex((o) => o.resource === `link:${n}` && o.args.includes('master'));
    expect(enslave('pq1')).toBeLessThan(enslave('pq0'));
    // d0.5 runs over d0 and is listed first: d0 cannot wait for it; no cycle is reported
    const r = load(
      'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [v5, tap0, tap1]}\n  v5: {kind: macvlan, link: tap1}\n  tap0: {kind: tap}\n  tap1: {kind: tap}\n',
    );
    expect(r.diagnostics).toEqual([]);
    const q = plan(r.desired!, live('empty', NS));
    expect(putIndex(q, 'link:v5')).toBeGreaterThan(putIndex(q, 'link:tap1'));
    expect(putIndex(q, 'link:tap0')).toBeGreaterThan(putIndex(q, 'link:v5'));
  });

  it("a bond's mode change re-adds its ports in the file's order", () => {
    const l = live('rich', NS);
    const bondLive = {
      id: 'link:bond0',
      kind: 'bond',
      attrs: { mode: 'balance-rr', mark: 'nethost', keep: null, state: 'up', master: null },
      owned: true,
      deps: [],
    };
    l.resources.set('link:bond0', bondLive);
    for (const n of ['lowb', 'lowc']) l.resources.get(`link:${n}`)!.attrs.master = 'bond0';
    const d = desired(
      'version: 1\ninterfaces:\n  bond0: {kind: bond, mode: active-backup, ports: [lowc, lowb]}\n  lowb: {kind: ethernet}\n  lowc: {kind: ethernet}\n',
    );
    const p = buildPlan(diff(d, l), d, l);
    const readd = cmds(p, 'link:bond0').filter((c) => / down master bond0$/.test(c));
    expect(readd).toEqual(['link set dev lowc down master bond0', 'link set dev lowb down master bond0']);
  });
});

describe('multicast GRE: neighbours on a point-to-point tunnel', () => {
  it('a neighbour on a gre with a remote is refused, saying why and what to write instead', () => {
    const r = load(
      'version: 1\ninterfaces:\n  uplink: {kind: ethernet, addresses: [198.51.100.1/24]}\n  mgre0: {kind: gre, key: 42, dev: uplink, local: 198.51.100.1, remote: 239.1.1.66, addresses: [192.0.2.1/24]}\nneighbors:\n  - {dev: mgre0, to: 192.0.2.2, lladdr: 198.51.100.2}\n',
      'f.yaml',
    );
    expect(r.desired).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ source: { line: 6, col: 11 } });
    expect(r.diagnostics[0].message).toMatch(
      /point-to-point: the kernel keeps one IPv4 neighbour there, as 0\.0\.0\.0/,
    );
    expect(r.diagnostics[0].hint).toMatch(/leave remote out of mgre0 .*unbound/);
  });

  it('on an unbound gre (no remote) NBMA neighbours are fine', () => {
    const r = load(
      'version: 1\ninterfaces:\n  mgre0: {kind: gre, key: 42, local: 198.51.100.1}\nneighbors:\n  - {dev: mgre0, to: 192.0.2.2, lladdr: 198.51.100.2}\n  - {dev: mgre0, to: 192.0.2.3, lladdr: 198.51.100.3}\n',
    );
    expect(r.diagnostics).toEqual([]);
  });
});

describe('protocol 232 is shown as nethost', () => {
  it('adopting a hand-built proto static route says what it was and what it becomes', () => {
    const p = plan(
      desired(
        'version: 1\ninterfaces:\n  uplink0: {kind: ethernet}\nroutes:\n  - {to: default, via: 198.51.100.1, dev: uplink0}\n',
      ),
      fid,
    );
    expect(change(p, 'route:254:0.0.0.0/0:0').action).toBe('adopt');
    expect(renderPlan(p, { color: false })).toMatch(/& route default .*\n\s+proto static → nethost\n/);
  });

  it('--script keeps the number (ip knows no name for it) and says in its header what it is', () => {
    const p = plan(
      desired(
        'version: 1\nroutes:\n  - {to: 203.0.113.0/24, via: 198.51.100.1, onlink: true, dev: uplink0}\ninterfaces:\n  uplink0: {kind: ethernet}\n',
      ),
      live('rich', NS),
    );
    const s = renderScript(p);
    expect(s).toContain('proto 232');
    expect(s).toMatch(/^# proto\/protocol 232 is nethost: its mark on the routes, rules and neighbours it owns$/m);
  });
});
