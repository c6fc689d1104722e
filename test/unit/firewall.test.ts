// The firewall's pure core on nft output captured from a real kernel (test/fixtures/nft/capture.sh):
// the printer says what `nft list` says; the renderer writes what nft lists back; counters are not
// drift; the diff is rule by rule; the checks are positioned; the plan orders guards around ports.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/config/load.js';
import { firewall } from '../../src/kinds/firewall/firewall.js';
import {
  canonicalTable,
  carriedOf,
  desiredView,
  FIREWALL_ID,
  type FirewallCarried,
} from '../../src/backends/nft/view.js';
import { stateless, viewOf } from '../../src/backends/nft/backend.js';
import { listingHash, viewKey } from '../../src/backends/nft/memo.js';
import { printRule } from '../../src/backends/nft/print.js';
import { firewallDiff, lcsDiff } from '../../src/kinds/firewall/chain-diff.js';
import { jsonScript, textScript } from '../../src/backends/nft/ruleset.js';
import { diff } from '../../src/diff/diff.js';
import { buildPlan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/render/human.js';
import { planJson } from '../../src/render/json.js';
import { renderScript } from '../../src/render/script.js';
import { checkAgainstLive } from '../../src/config/load.js';
import type { LiveState, Resource } from '../../src/model.js';
import type { HostFacts } from '../../src/kinds/types.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'nft');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');
const objects = (f: string) => JSON.parse(read(f)).nftables.filter((o: any) => !o.metainfo);
// The capturing host's /etc/protocols names (the ones the fixture uses).
const facts: HostFacts = {
  users: {},
  groups: {},
  tables: {},
  protocols: { ip: 0, icmp: 1, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, sctp: 132 },
};

/** Rule lines of `nft list table` text, counter values blanked as the printer blanks them. */
const listedRules = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('\t\t') && !/^\t\t(type|policy) /.test(l))
    .map((l) => l.trim().replace(/counter packets \d+ bytes \d+/, 'counter'));

const load = (text: string, file = 'fw.yaml') => loadDesiredState(text, file, facts);
const ISSUE = read('issue.yaml');

describe('printer', () => {
  for (const t of ['inet', 'bridge']) {
    it(`prints every rule of ${t} nethost exactly as nft list does`, () => {
      const rules = objects(`${t}-nethost.json`)
        .filter((o: any) => o.rule)
        .map((o: any) => printRule(o.rule.expr));
      expect(rules).toEqual(listedRules(read(`${t}-nethost.nft`)));
      expect(rules.length).toBeGreaterThan(5);
    });
  }
  it('an expression it does not know prints as its JSON, never as a rendered rule', () => {
    expect(printRule([{ quota: { val: 5 } }, { accept: null }])).toBe('json [{"quota":{"val":5}},{"accept":null}]');
  });
});

describe('renderer', () => {
  const r = load(ISSUE);
  const fw = r.desired?.resources.get(FIREWALL_ID);
  it("loads the issue's file without diagnostics", () => {
    expect(r.diagnostics).toEqual([]);
    expect(fw).toBeDefined();
  });
  it('writes each table exactly as the kernel lists it back (chains, rules, order)', () => {
    const live = [
      ...canonicalTable('inet', objects('inet-nethost.json')).rules,
      ...canonicalTable('bridge', objects('bridge-nethost.json')).rules,
    ];
    expect(fw!.attrs.rules).toEqual(live);
    const chains = [
      ...canonicalTable('inet', objects('inet-nethost.json')).chains,
      ...canonicalTable('bridge', objects('bridge-nethost.json')).chains,
    ];
    expect(fw!.attrs.chains).toEqual(chains);
    expect(fw!.attrs.tables).toEqual(['bridge', 'inet']);
  });
  it("lists rules chain by chain, in the chains' order, as nft lists them (allow_in adds a chain after from-PORT)", () => {
    const g = load(
      'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [vnet0]}\n  vnet0:\n    kind: tap\n    guard: {mac: "52:54:00:24:4c:ee", allow_in: [{proto: tcp, port: 22}], allow_out: [{proto: udp, port: 53}]}\n',
    ).desired!.resources.get(FIREWALL_ID)!;
    const chains = (g.attrs.chains as string[]).map((c) => c.split(' ').slice(0, 2).join(' '));
    expect(chains).toEqual(['bridge prerouting', 'bridge postrouting', 'bridge from-vnet0', 'bridge to-vnet0']);
    const order = (g.attrs.rules as string[]).map((r) => chains.indexOf(r.slice(0, r.indexOf(':'))));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(carriedOf(g).sources![order.indexOf(1)]).toBe('6:49'); // allow_in's value
  });
  it("names each rule's line in the file", () => {
    const rules = fw!.attrs.rules as string[];
    const sources = carriedOf(fw).sources!;
    const at = (needle: string) => sources[rules.findIndex((x) => x.includes(needle))];
    const lineOf = (needle: string) => ISSUE.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(at('snat ip to 198.51.100.10').split(':')[0]).toBe(String(lineOf('to: 198.51.100.10')));
    expect(at('ether saddr != 52:54:00:24:4c:ee').split(':')[0]).toBe(String(lineOf('mac: 52:54:00:24:4c:ee')));
  });
  it('the text script replaces both tables in one transaction and maps its lines to rules', () => {
    const s = textScript(fw!.attrs);
    expect(s.text.split('\n').slice(0, 4)).toEqual([
      'table inet nethost {}',
      'delete table inet nethost',
      'table bridge nethost {}',
      'delete table bridge nethost',
    ]);
    for (const [line, i] of s.ruleAt)
      expect(s.text.split('\n')[line - 1].trim()).toBe((fw!.attrs.rules as string[])[i].replace(/^\S+ \S+: /, ''));
  });
});

describe('live state', () => {
  const liveOf = (inet: any[], bridge?: any[]): LiveState => ({
    resources: new Map(
      firewall
        .fromLive({ nft: { tables: { inet, ...(bridge ? { bridge } : {}) }, foreign: [] } } as any, facts)
        .map((x) => [x.id, x]),
    ),
    linkNames: new Set(['uplink', 'br0', 'vnet0']),
    addresses: ['192.0.2.1/24', '198.51.100.1/24'],
  });
  const desired = load(ISSUE).desired!;
  const only = (id: string) => ({ ...desired, resources: new Map([[id, desired.resources.get(id)!]]) });

  it('the captured tables are exactly the file: no change', () => {
    expect(diff(only(FIREWALL_ID), liveOf(objects('inet-nethost.json'), objects('bridge-nethost.json')))).toEqual([]);
  });
  it('counters rising are not drift; a rule added or a table missing is', () => {
    const counted = objects('inet-nethost.json').map((o: any) =>
      o.rule
        ? {
            rule: {
              ...o.rule,
              handle: 999,
              expr: o.rule.expr.map((e: any) => (e.counter ? { counter: { packets: 12345, bytes: 999999 } } : e)),
            },
          }
        : o,
    );
    expect(diff(only(FIREWALL_ID), liveOf(counted, objects('bridge-nethost.json')))).toEqual([]);
    const added = [
      ...objects('inet-nethost.json'),
      {
        rule: {
          family: 'inet',
          table: 'nethost',
          chain: 'input',
          handle: 77,
          expr: [
            { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 23 } },
            { accept: null },
          ],
        },
      },
    ];
    const [c] = diff(only(FIREWALL_ID), liveOf(added, objects('bridge-nethost.json')));
    expect(c.action).toBe('update');
    expect(firewallDiff(c.before!.attrs, c.after!.attrs)).toEqual([
      { table: 'inet', chain: 'input', lines: [{ op: '-', rule: 'tcp dport 23 accept' }] },
    ]);
    const [m] = diff(only(FIREWALL_ID), liveOf(objects('inet-nethost.json')));
    expect(firewall.summarise!(m)).toMatch(
      /^chain bridge prerouting created; missing: bridge prerouting: iifname "vnet0" jump from-vnet0;.*tables \[inet\] → \[bridge, inet\]$/,
    );
  });
  it('the live resource carries the JSON a restore loads back, without handles', () => {
    const l = liveOf(objects('inet-nethost.json')).resources.get(FIREWALL_ID)!;
    const script = JSON.parse(jsonScript(carriedOf(l).json!)).nftables;
    expect(script.slice(0, 4)).toEqual([
      { add: { table: { family: 'inet', name: 'nethost' } } },
      { delete: { table: { family: 'inet', name: 'nethost' } } },
      { add: { table: { family: 'bridge', name: 'nethost' } } },
      { delete: { table: { family: 'bridge', name: 'nethost' } } },
    ]);
    expect(JSON.stringify(script)).not.toMatch(/"handle"/);
    expect(script.filter((c: any) => c.add?.rule).length).toBe(
      objects('inet-nethost.json').filter((o: any) => o.rule).length,
    );
  });
  it('no nethost table and a file without a firewall: nothing to do; nethost tables and no firewall: delete them', () => {
    const empty = { file: 'e.yaml', resources: new Map<string, Resource>() };
    expect(diff(empty, liveOf(undefined as any))).toEqual([]);
    const [c] = diff(empty, liveOf(objects('inet-nethost.json')));
    expect(c.action).toBe('delete');
    expect(firewall.delete(c.before!, {} as any)[0].args[0]).toBe(
      'table inet nethost {}\ndelete table inet nethost\ntable bridge nethost {}\ndelete table bridge nethost\n',
    );
  });
  it('warns when another table drops on a hook nethost uses, and when ip_forward is off and unset', () => {
    const noSysctl = load(ISSUE.replace('sysctls:\n  net.ipv4.ip_forward: 1\n', '')).desired!;
    const live = liveOf(objects('inet-nethost.json'));
    const l = live.resources.get(FIREWALL_ID)!;
    l.carried = {
      ...l.carried,
      foreign: [
        { family: 'inet', table: 'firewalld', name: 'filter_INPUT', hook: 'input' },
        { family: 'ip', table: 'docker', name: 'DOCKER-ISOLATION', hook: 'egress' },
      ],
      kernelForwarding: { ipv4: '0', ipv6: '0' },
    } satisfies FirewallCarried;
    const d = checkAgainstLive(noSysctl, live).map((x) => `${x.severity}: ${x.message}`);
    expect(d).toEqual([
      'warning: net.ipv4.ip_forward is 0 here and the file does not set it: the NAT and forward rules see no routed traffic',
      "warning: table inet firewalld has base chain filter_INPUT on the input hook with policy drop: an accept in nethost's table does not override it",
    ]);
    expect(checkAgainstLive(desired, live)).toEqual([
      expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/firewalld/) }),
    ]);
  });
});

describe('checks in the file, positioned', () => {
  /** "line:col message" of each diagnostic, against where `needle` stands in the text (nth occurrence). */
  const check = (text: string, needle: string, message: string, nth = 0) => {
    const lines = text.split('\n');
    const hits = lines.flatMap((l, i) => (l.includes(needle) ? [`${i + 1}:${l.indexOf(needle) + 1}`] : []));
    expect(load(text).diagnostics.map((d) => `${d.source?.line}:${d.source?.col} ${d.message}`)).toEqual([
      `${hits[nth]} ${message}`,
    ]);
  };
  const fw = (body: string) => `version: 1\ninterfaces:\n  uplink: {kind: ethernet}\nfirewall:\n${body}`;
  it('a port range upside down', () => {
    check(
      fw('  port_forwards:\n    - {in: uplink, proto: udp, port: 5010-5000, to: 192.0.2.11}\n'),
      '5010-5000',
      'port range 5010-5000 is upside down',
    );
  });
  it('a prefix of the wrong family', () => {
    check(
      fw('  snat:\n    - {from: 2001:db8::/32, to: 198.51.100.10}\n'),
      '2001:db8::/32',
      '2001:db8::/32 is an IPv6 prefix where IPv4 is meant',
    );
    check(
      fw('  masquerade:\n    - {from: 192.0.2.0/24, exclude: [192.0.2.0/24, "ff02::/16"]}\n'),
      '"ff02::/16"',
      'ff02::/16 is an IPv6 prefix where IPv4 is meant',
    );
    check(
      fw('  input:\n    allow: [{proto: icmpv6, from: 192.0.2.0/24}]\n'),
      '192.0.2.0/24',
      '192.0.2.0/24 is an IPv4 prefix where IPv6 is meant',
    );
  });
  it('ports without a protocol that has them, a type on a non-ICMP rule, an unknown ICMP type', () => {
    check(fw('  input:\n    allow: [{port: 22}]\n'), '22', 'a port needs a protocol');
    check(fw('  input:\n    allow: [{proto: gre, port: 22}]\n'), '22', 'gre has no ports');
    check(fw('  input:\n    allow: [{proto: tcp, type: echo-request}]\n'), 'echo-request', 'type is for ICMP rules');
    check(
      fw('  input:\n    allow: [{proto: icmp, type: echo-please}]\n'),
      'echo-please',
      'unknown icmp type "echo-please"',
    );
  });
  it('a port forward target that is not an address[:port], hairpin without in', () => {
    check(
      fw('  port_forwards:\n    - {proto: tcp, port: 80, to: "192.0.2.10:80:1"}\n'),
      '"192.0.2.10:80:1"',
      '"192.0.2.10:80:1" is not ADDRESS, ADDRESS:PORT or [IPv6]:PORT',
    );
    check(
      fw('  port_forwards:\n    - {proto: tcp, port: 80, to: 192.0.2.10, hairpin: true}\n'),
      'true',
      'hairpin needs in: (the outside interface), to tell inside clients from outside ones',
    );
  });
  it('a guard on something that is not a bridge port, and in/out inside a guard rule', () => {
    check(
      'version: 1\ninterfaces:\n  b0: {kind: bond, ports: [e0]}\n  e0:\n    kind: ethernet\n    guard: {mac: "02:00:00:00:00:01"}\n',
      'guard',
      'guard on e0, which is not a port of a Linux bridge (b0 is a bond)',
    );
    check(
      'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [t0]}\n  t0:\n    kind: tap\n    guard: {allow_in: [{proto: tcp, in: br0}]}\n',
      'br0}',
      'a guard rule has no in: the port is the guarded interface',
    );
  });
  it('unknown keys under firewall are named, positioned', () => {
    check(fw('  masquerade:\n    - {form: 192.0.2.0/24}\n'), 'form', 'unknown key "form"');
  });
});

describe('plan', () => {
  const GUARDED =
    'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [vnet0]}\n  vnet0:\n    kind: tap\n    guard: {mac: "52:54:00:24:4c:ee"}\n';
  const none: LiveState = { resources: new Map(), linkNames: new Set(), addresses: [] };
  it('the guard loads before the guarded port is created (fail closed), in one nft operation', () => {
    const desired = load(GUARDED).desired!;
    expect(desired.resources.get('link:vnet0')!.deps).toContainEqual({ id: FIREWALL_ID, via: 'guard', mode: 'order' });
    const plan = buildPlan(diff(desired, none), desired, none);
    const nftAt = plan.operations.findIndex((o) => o.backend === 'nft');
    const tapAt = plan.operations.findIndex((o) => o.args.includes('tuntap'));
    expect(plan.operations.filter((o) => o.backend === 'nft').length).toBe(1);
    expect(nftAt).toBeLessThan(tapAt);
  });
  it('and is removed after the port is gone', () => {
    const desired = load(GUARDED).desired!;
    const applied: LiveState = {
      ...none,
      resources: new Map(
        [...desired.resources].map(([id, r]) => [id, { ...r, deps: r.deps.filter((d) => d.via !== 'guard') }]),
      ),
    };
    const empty = { file: 'e.yaml', resources: new Map<string, Resource>() };
    const plan = buildPlan(diff(empty, applied), empty, applied);
    const nftAt = plan.operations.findIndex((o) => o.backend === 'nft');
    const tapAt = plan.operations.findIndex((o) => o.args.join(' ') === 'link del dev vnet0');
    expect(tapAt).toBeGreaterThanOrEqual(0);
    expect(nftAt).toBeGreaterThan(tapAt);
  });
  it('human: + per rule grouped by chain; JSON: rules added and removed per chain; script: a here-document', () => {
    const desired = load(GUARDED).desired!;
    const plan = buildPlan(diff(desired, none), desired, none);
    expect(renderPlan(plan, { color: false })).toContain(
      '  + firewall (nft tables inet nethost, bridge nethost)\n      chain bridge nethost prerouting (new chain)\n        + iifname "vnet0" jump from-vnet0\n      chain bridge nethost from-vnet0 (new chain)\n        + ether saddr != 52:54:00:24:4c:ee drop\n',
    );
    const j = planJson(plan);
    const c = j.changes.find((x: any) => x.kind === 'firewall') as any;
    expect(c.rules[0]).toEqual({
      table: 'bridge nethost',
      chain: 'prerouting',
      chain_change: 'created',
      added: ['iifname "vnet0" jump from-vnet0'],
      removed: [],
    });
    expect(c.attributes.map((a: any) => a.name)).not.toContain('sources');
    const op = j.operations.find((o: any) => o.backend === 'nft') as any;
    expect(op.command).toEqual(['nft', '-f', '-']);
    expect(op.input).toMatch(/^table inet nethost \{\}\n/);
    expect(renderScript(plan)).toContain("nft -f - <<'NETHOST_EOF'\ntable inet nethost {}\n");
  });
});

describe('memo of listings (a no-op read prints no rule; drift still shows exactly)', () => {
  const want = desiredView(load(ISSUE).desired!.resources.get(FIREWALL_ID)!.attrs);
  const json = () => [stateless(read('inet-nethost.json')), stateless(read('bridge-nethost.json'))];
  const texts = () => [read('inet-nethost.stateless.nft'), read('bridge-nethost.stateless.nft')];
  /** A JSON reader that counts its calls (each is an `nft -j` listing of the tables). */
  const reader = (listings: (string | undefined)[] = json()) => {
    const calls = { n: 0 };
    return Object.assign(async () => (calls.n++, listings), { calls });
  };
  /** The text listed again after a miss's JSON read: by default the same as the first. */
  const relist =
    (listings: (string | undefined)[] = texts()) =>
    async () =>
      listings;
  const useDir = () => (process.env.NETHOST_LOCK_DIR = mkdtempSync(join(tmpdir(), 'nethost-memo-')));
  afterEach(() => void delete process.env.NETHOST_LOCK_DIR);

  it("a stateless listing has no handle left and is still nft's JSON", () => {
    const [inet] = json();
    expect(inet).not.toMatch(/"handle"/);
    expect(JSON.parse(inet).nftables.length).toBe(objects('inet-nethost.json').length + 1);
  });
  it("the first read prints every rule and remembers the text listing (no apply ran meanwhile); the next read of the same text is the file's ruleset, with no JSON read", async () => {
    const dir = useDir();
    const j = reader();
    const first = await viewOf(texts(), want, j, () => true, relist());
    expect(j.calls.n).toBe(1);
    expect(first.view).not.toBe(want); // printed
    expect(first.view).toEqual(want);
    expect(first.listings).toEqual(json()); // what a restore loads
    expect(readdirSync(join(dir, 'nft-memo'))).toEqual([viewKey(want)]);
    expect(readFileSync(join(dir, 'nft-memo', viewKey(want)), 'utf8')).toBe(listingHash(texts()));
    const again = reader();
    const second = await viewOf(texts(), want, again, () => false, relist());
    expect(second.view).toBe(want);
    expect(second.listings).toBeUndefined(); // a restore loads the ruleset's own text
    expect(again.calls.n).toBe(0);
  });
  it('a read that an apply may have overlapped (between its text and its JSON listing) prints and compares but writes no memo', async () => {
    const dir = useDir();
    const v = await viewOf(texts(), want, reader(), () => false, relist());
    expect(v.view).toEqual(want);
    expect(() => readdirSync(join(dir, 'nft-memo'))).toThrow();
    const j = reader();
    await viewOf(texts(), want, j, () => false, relist());
    expect(j.calls.n).toBe(1);
  });
  it('a hand edit between the text listing and the JSON one (text drifted, JSON back to the file) is not remembered; the same edit later still shows', async () => {
    const dir = useDir();
    const [inetText, bridgeText] = texts();
    const drifted = inetText.replace('tcp dport 22 counter accept', 'tcp dport 23 counter accept');
    expect(drifted).not.toBe(inetText);
    // Listed drifted, then someone put the rule back before the JSON listing: the view is the file's…
    const v = await viewOf([drifted, bridgeText], want, reader(), () => true, relist());
    expect(v.view).toEqual(want);
    // …but the text listed again is not the drifted one that was hashed: nothing remembered.
    expect(() => readdirSync(join(dir, 'nft-memo'))).toThrow();
    // Had it been remembered, the drifted text would now be taken for the file's ruleset.
    const [inet, bridge] = json();
    const j = reader([inet.replace('"right": 22}', '"right": 23}'), bridge]);
    const later = await viewOf([drifted, bridgeText], want, j, () => true, relist([drifted, bridgeText]));
    expect(j.calls.n).toBe(1);
    expect(later.view.rules.filter((r) => !want.rules.includes(r))).toEqual([
      'inet input: tcp dport 23 counter accept',
    ]);
    // And a listing that stays the same while it is read is remembered.
    await viewOf(texts(), want, reader(), () => true, relist());
    expect(readFileSync(join(dir, 'nft-memo', viewKey(want)), 'utf8')).toBe(listingHash(texts()));
  });
  it('a rule changed, a rule added or a table flushed by hand misses the memo and shows as it is', async () => {
    useDir();
    await viewOf(texts(), want, reader(), () => true, relist());
    const [inet, bridge] = json();
    const [inetText, bridgeText] = texts();
    const changedText = inetText.replace('tcp dport 22 counter accept', 'tcp dport 23 counter accept');
    expect(changedText).not.toBe(inetText);
    const changed = inet.replace('"right": 22}', '"right": 23}');
    const v = await viewOf([changedText, bridgeText], want, reader([changed, bridge]), () => false, relist());
    expect(v.view.rules.filter((r) => !want.rules.includes(r))).toEqual(['inet input: tcp dport 23 counter accept']);
    const added = bridgeText.replace(/\n\t}\n}\n$/, '\n\t\tip saddr 203.0.113.9 drop\n\t}\n}\n');
    expect(added).not.toBe(bridgeText);
    const j = reader();
    await viewOf([inetText, added], want, j, () => false, relist());
    expect(j.calls.n).toBe(1); // missed: printed from JSON
    const flushed = JSON.stringify({ nftables: JSON.parse(inet).nftables.filter((o: any) => !o.rule) });
    const f = await viewOf(
      ['table inet nethost {\n}\n', bridgeText],
      want,
      reader([flushed, bridge]),
      () => false,
      relist(),
    );
    expect(f.view.rules.some((r) => r.startsWith('inet '))).toBe(false);
    const gone = await viewOf([inetText, undefined], want, reader([inet, undefined]), () => false, relist());
    expect(gone.view.tables).toEqual(['inet']); // the bridge table gone
    expect((await viewOf(texts(), want, reader(), () => false, relist())).view).toBe(want); // and the memo still holds for the real thing
  });
  it("the verification right after a transaction reads nft's JSON only, prints it, and writes no memo", async () => {
    const dir = useDir();
    const j = reader();
    const v = await viewOf(undefined, want, j, () => true, relist());
    expect(j.calls.n).toBe(1);
    expect(v.view).toEqual(want);
    expect(() => readdirSync(join(dir, 'nft-memo'))).toThrow();
  });
  it('no table: nothing printed, no JSON read, a restore deletes the tables', async () => {
    useDir();
    const j = reader();
    const v = await viewOf([undefined, undefined], want, j, () => true, relist());
    expect(v).toEqual({ view: { tables: [], chains: [], rules: [], others: [] }, listings: [] });
    expect(j.calls.n).toBe(0);
  });
  it("a snapshot the memo knew goes back as the ruleset's own text (no JSON was read); one listed from JSON goes back as that JSON", async () => {
    useDir();
    const desired = load(ISSUE).desired!.resources.get(FIREWALL_ID)!;
    await viewOf(texts(), want, reader(), () => true, relist());
    const hit = await viewOf(texts(), want, reader(), () => false, relist());
    const [fromMemo] = firewall.fromLive(
      {
        nft: { tables: {}, view: hit.view, listings: hit.listings, fromMemo: hit.listings === undefined, foreign: [] },
      } as any,
      facts,
    );
    expect(carriedOf(fromMemo).json).toBeUndefined();
    expect(firewall.create!(fromMemo, undefined as any)).toEqual([
      { backend: 'nft', args: [textScript(desired.attrs).text], disruptive: false },
    ]);
    const [listed] = firewall.fromLive(
      { nft: { tables: {}, view: hit.view, listings: json(), foreign: [] } } as any,
      facts,
    );
    expect(firewall.create!(listed, undefined as any)).toEqual([
      { backend: 'nft', options: ['-j'], args: [jsonScript(carriedOf(listed).json!)], disruptive: false },
    ]);
  });
  it('a memo that cannot be written only costs the printing', async () => {
    process.env.NETHOST_LOCK_DIR = join(useDir(), 'not', 'there'); // its parent does not exist
    const v = await viewOf(texts(), want, reader(), () => true, relist());
    expect(v.view).toEqual(want);
    expect((await viewOf(texts(), want, reader(), () => true, relist())).view).not.toBe(want);
  });
});

describe('rule-by-rule diff', () => {
  // The plain longest-common-subsequence table, without trimming the common ends: the reference.
  function reference(a: string[], b: string[]) {
    const dp = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
    for (let i = a.length - 1; i >= 0; i--)
      for (let j = b.length - 1; j >= 0; j--)
        dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    return a.length + b.length - 2 * dp[0][0];
  }
  /** The edit applied to a: b, if the script is one (the rules kept in order, removals and additions where they stand). */
  function apply(a: string[], script: { op: '+' | '-'; rule: string }[], b: string[]) {
    const out: string[] = [];
    let i = 0;
    let k = 0;
    for (const x of b) {
      while (k < script.length && script[k].op === '-') expect(script[k++].rule).toBe(a[i++]);
      if (k < script.length && script[k].op === '+' && script[k].rule === x) k++, out.push(x);
      else expect(a[i++]).toBe(x), out.push(x);
    }
    while (k < script.length) expect(script[k++]).toEqual({ op: '-', rule: a[i++] });
    expect(i).toBe(a.length);
    return out;
  }
  it("property: is a shortest edit that turns the live chain into the file's (20,000 random chains with repeats)", () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let t = 0; t < 20000; t++) {
      const alpha = 1 + rnd(4);
      const gen = () => Array.from({ length: rnd(9) }, () => `r${rnd(alpha)}`);
      const a = gen();
      const b = gen();
      const d = lcsDiff(a, b);
      expect(d.length).toBe(reference(a, b));
      expect(apply(a, d, b)).toEqual(b);
    }
  });
  it('a long chain with one rule replaced: two lines, the addition first', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `tcp dport ${i} accept`);
    const b = a.map((r, i) => (i === 1500 ? 'tcp dport 1500 drop' : r));
    expect(lcsDiff(a, b)).toEqual([
      { op: '+', rule: 'tcp dport 1500 drop' },
      { op: '-', rule: 'tcp dport 1500 accept' },
    ]);
  });
});
