// config/load: YAML text → DesiredState, or every problem with file:line:col and a hint.
import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import type { Diagnostic, Resource } from '../../src/model.js';
import { facts, fileText, load } from './fixtures.js';

const FILE = 'host.yaml';

/** 1-based line and column of the first occurrence of `needle` on the line matching `lineRe`. */
function where(text: string, lineRe: RegExp, needle: string): { line: number; col: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => lineRe.test(l));
  if (i < 0) throw new Error(`no line matches ${lineRe}`);
  const col = lines[i].indexOf(needle);
  if (col < 0) throw new Error(`"${needle}" not on line ${i + 1}`);
  return { line: i + 1, col: col + 1 };
}

describe('a valid file', () => {
  const text = fileText('applied');
  const r = load(text, FILE);
  const doc = parse(text);
  const res = r.desired?.resources ?? new Map<string, Resource>();
  const get = (id: string) => {
    const x = res.get(id);
    if (!x) throw new Error(`no ${id}; have ${[...res.keys()].join(', ')}`);
    return x;
  };

  it('loads without diagnostics', () => {
    expect(r.diagnostics).toEqual([]);
    expect(r.desired?.file).toBe(FILE);
  });

  it('one link per interface, of the kind the file says, owned, where the file says', () => {
    for (const [name, entry] of Object.entries<any>(doc.interfaces)) {
      const l = get(`link:${name}`);
      expect(l.kind).toBe(entry.kind);
      expect(l.owned).toBe(true);
      expect(l.source).toEqual({ file: FILE, ...where(text, new RegExp(`^  ${name}:`), name) });
    }
    expect([...res.values()].filter((x) => x.id.startsWith('link:')).length).toBe(Object.keys(doc.interfaces).length);
  });

  it('addresses in canonical form, each depending on its link', () => {
    const want = [
      'uplink0:198.51.100.2/24',
      'uplink0:2001:db8:100::2/64',
      'br0:192.0.2.1/26',
      'br0:2001:db8:1::1/64',
      'vx1:203.0.113.1/28',
    ];
    const got = [...res.values()].filter((x) => x.kind === 'address');
    expect(got.map((x) => x.id).sort()).toEqual(want.map((w) => `address:${w}`).sort());
    for (const a of got) expect(a.deps).toContainEqual({ id: `link:${a.attrs.dev}`, via: 'dev', mode: 'recreate' });
  });

  it('kind attributes with defaults filled in and values canonical', () => {
    expect(get('link:br0').attrs).toMatchObject({
      stp: true,
      forward_delay: 4,
      ageing: 120,
      master: null,
      state: 'up',
      mark: 'nethost',
    });
    expect(get('link:br1').attrs).toMatchObject({ stp: false, forward_delay: 2, ageing: 30.5 });
    expect(get('link:tap0').attrs).toMatchObject({
      user: facts().users.nobody,
      group: null,
      multi_queue: false,
      master: 'br0',
    });
    expect(get('link:tun0').attrs).toMatchObject({ user: facts().users.nobody, multi_queue: true, master: null });
    expect(get('link:vx0').attrs).toMatchObject({
      vni: 100,
      group: '239.1.1.1',
      remote: null,
      dev: 'uplink0',
      dstport: 4789,
      ttl: 10,
      learning: true,
      master: 'br0',
    });
    expect(get('link:vx1').attrs).toMatchObject({
      vni: 200,
      remote: '203.0.113.7',
      local: '198.51.100.2',
      learning: false,
    });
    expect(get('link:vb0').attrs).toMatchObject({ peer: 'va0', mac: '02:00:00:00:0b:00', peer_netns: null });
    expect(get('link:mtp').attrs).toMatchObject({ link: 'uplink0', mode: 'private' });
    expect(get('link:uplink0').attrs.master).toBeNull();
  });

  it('dependencies: ports on their master, vxlan on its dev, macvlan on its lower, the second veth end on the first', () => {
    for (const p of doc.interfaces.br0.ports)
      expect(get(`link:${p}`).deps).toContainEqual({ id: 'link:br0', via: 'master', mode: 'attach' });
    expect(get('link:vx0').deps).toContainEqual({ id: 'link:uplink0', via: 'dev', mode: 'recreate' });
    expect(get('link:mvb').deps).toContainEqual({ id: 'link:uplink0', via: 'link', mode: 'recreate' });
    expect(get('link:vb0').deps.map((d) => d.id)).toContain('link:va0');
    expect(get('link:va0').deps.map((d) => d.id)).not.toContain('link:vb0');
  });

  it('routes, keyed by table, canonical destination and metric', () => {
    const ids = [...res.values()]
      .filter((x) => x.kind === 'route')
      .map((x) => x.id)
      .sort();
    expect(ids).toEqual(
      [
        'route:254:0.0.0.0/0:0',
        'route:100:203.0.113.128/26:10',
        'route:254:203.0.113.192/27:0',
        'route:254:192.0.2.128/26:0',
        'route:100:198.51.100.0/24:0',
        'route:254:203.0.113.64/26:0',
        'route:254:2001:db8:ff::/48:1024',
        'route:100:2001:db8:bad::/48:1024',
      ].sort(),
    );
    expect(ids.length).toBe(doc.routes.length);
    // a gateway waits for the address that makes it reachable
    expect(get('route:100:203.0.113.128/26:10').deps).toContainEqual(
      expect.objectContaining({ id: 'address:br0:192.0.2.1/26', via: 'via' }),
    );
    expect(get('route:254:2001:db8:ff::/48:1024').deps).toContainEqual(
      expect.objectContaining({ id: 'address:br0:2001:db8:1::1/64', via: 'via' }),
    );
    expect(get('route:254:203.0.113.64/26:0').attrs).toMatchObject({ onlink: true, dev: 'br1', via: '192.0.2.200' });
  });

  it('rules: canonical selectors; a lookup rule waits for the routes of its table', () => {
    expect(get('rule:4:100:*:*:0x1/0xff:*:*').attrs).toMatchObject({
      family: 4,
      table: 100,
      type: 'lookup',
      mark: '232',
    });
    expect(get('rule:4:110:*:*:*:br0:*').deps).toContainEqual({ id: 'link:br0', via: 'iif', mode: 'order' });
    expect(get('rule:4:120:192.0.2.0/26:203.0.113.0/24:*:*:*').attrs).toMatchObject({ type: 'blackhole', table: null });
    expect(get('rule:6:130:2001:db8:1::/64:*:*:*:*').attrs.family).toBe(6);
    expect(get('rule:6:140:*:*:0x2/0xffffffff:*:*').attrs).toMatchObject({ family: 6, type: 'prohibit' });
    const table100 = [...res.values()].filter((x) => x.kind === 'route' && x.attrs.table === 100).map((x) => x.id);
    expect(get('rule:4:100:*:*:0x1/0xff:*:*').deps.map((d) => d.id)).toEqual(expect.arrayContaining(table100));
  });

  it('neighbours and sysctls', () => {
    expect(get('neighbor:br0:192.0.2.10').attrs).toMatchObject({
      lladdr: '02:00:00:00:00:0a',
      state: 'permanent',
      mark: '232',
    });
    expect(get('neighbor:br0:2001:db8:1::10').attrs.lladdr).toBe('02:00:00:00:00:10');
    expect(get('sysctl:net/ipv4/ip_forward').attrs).toEqual({ key: 'net/ipv4/ip_forward', value: '1' });
    expect(get('sysctl:net/ipv6/conf/br0/forwarding').deps).toContainEqual({
      id: 'link:br0',
      via: 'key',
      mode: 'recreate',
    });
  });

  it('nothing else', () => {
    const n = (k: string) => [...res.values()].filter((x) => x.kind === k).length;
    expect(n('rule')).toBe(doc.rules.length);
    expect(n('neighbor')).toBe(doc.neighbors.length);
    expect(n('sysctl')).toBe(Object.keys(doc.sysctls).length);
  });
});

/** One bad input: the text, where the error must point, and what it must say. */
interface Bad {
  text: string;
  line: number;
  /** Acceptable columns (the offending key or value; for a missing key, the entry). */
  cols?: number[];
  message: RegExp;
  hint?: RegExp;
  /** A bug in src/ (explained where the entry is): the test is expected to fail until it is fixed. */
  knownBug?: true;
}

const BAD: Record<string, Bad> = {
  'YAML syntax error': {
    text: 'version: 1\ninterfaces:\n  br0:\n    kind: bridge\n   stp: true\n',
    line: 5,
    message: /^YAML: /,
  },
  'unknown top-level key': {
    text: 'version: 1\ninterface:\n  br0: {kind: bridge}\n',
    line: 2,
    cols: [1],
    message: /unknown top-level key "interface"/,
    hint: /did you mean "interfaces"/,
  },
  'unknown interface key': {
    text: 'version: 1\ninterfaces:\n  br0:\n    kind: bridge\n    stpp: true\n',
    line: 5,
    cols: [5],
    message: /unknown key "stpp"/,
    hint: /did you mean "stp"/,
  },
  'unknown kind': {
    text: 'version: 1\ninterfaces:\n  br0: {kind: brigde}\n',
    line: 3,
    cols: [15],
    message: /unknown kind "brigde"/,
    hint: /did you mean "bridge"/,
  },
  'missing required field': {
    text: 'version: 1\ninterfaces:\n  vx0: {kind: vxlan, remote: 192.0.2.1}\n',
    line: 3,
    cols: [3, 8],
    message: /"vni"/,
  },
  // zod 4 issues carry no `input`: a value of the wrong type (stp: "yes") must still be told from a
  // missing key (config/issues.ts looks the value up in the data), and reported at the value.
  'wrong type': {
    text: 'version: 1\ninterfaces:\n  br0:\n    kind: bridge\n    stp: "yes"\n',
    line: 5,
    cols: [10],
    message: /^(?!missing).*(stp|boolean)/,
  },
  'bad CIDR': {
    text: 'version: 1\ninterfaces:\n  br0:\n    kind: bridge\n    addresses: [192.0.2.1/24, 192.0.2.9/33]\n',
    line: 5,
    cols: [31],
    message: /prefix/,
  },
  'bad MAC': {
    text: 'version: 1\ninterfaces:\n  br0:\n    kind: bridge\n    mac: "02:00:00:00:00"\n',
    line: 5,
    cols: [10],
    message: /MAC/,
  },
  'VNI out of range': {
    text: 'version: 1\ninterfaces:\n  vx0: {kind: vxlan, vni: 16777216, remote: 192.0.2.1}\n',
    line: 3,
    cols: [27],
    message: /16777215/,
  },
  'name of 16 bytes': {
    text: 'version: 1\ninterfaces:\n  abcdefghijklmnop: {kind: bridge}\n',
    line: 3,
    cols: [3],
    message: /15 bytes/,
  },
  'name of 8 characters but 16 bytes': {
    text: 'version: 1\ninterfaces:\n  üüüüüüüü: {kind: bridge}\n',
    line: 3,
    cols: [3],
    message: /15 bytes/,
  },
  "name containing '/'": {
    text: 'version: 1\ninterfaces:\n  "br/0": {kind: bridge}\n',
    line: 3,
    cols: [3],
    message: /'\/'/,
  },
  'reserved name gre0': {
    text: 'version: 1\ninterfaces:\n  gre0: {kind: bridge}\n',
    line: 3,
    cols: [3],
    message: /reserved/,
  },
  'unknown port': {
    text: 'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [tap9]}\n',
    line: 3,
    cols: [31],
    message: /"tap9".*not declared/,
    hint: /declare it/,
  },
  'port in two masters': {
    text: 'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [tap0]}\n  br1: {kind: bridge, ports: [tap0]}\n  tap0: {kind: tap}\n',
    line: 4,
    cols: [31],
    message: /"tap0" is a port of both br0 and br1/,
  },
  'a bridge listing itself': {
    text: 'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [tap0, br0]}\n  tap0: {kind: tap}\n',
    line: 3,
    cols: [37],
    message: /br0 lists itself/,
  },
  'dependency cycle': {
    text: 'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [br1]}\n  br1: {kind: bridge, ports: [br0]}\n',
    line: 3,
    cols: [3],
    message: /cycle: br0 → br1 → br0/,
  },
  'duplicate address on two links': {
    text: 'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\n  br1: {kind: bridge, addresses: [192.0.2.1/25]}\n',
    line: 4,
    cols: [35],
    message: /192\.0\.2\.1 is listed twice/,
  },
  'route via an unreachable gateway': {
    text: 'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\nroutes:\n  - {to: default, via: 198.51.100.1}\n',
    line: 5,
    cols: [5, 24],
    message: /gateway 198\.51\.100\.1/,
  },
  'rule without priority': {
    text: 'version: 1\nrules:\n  - {from: 192.0.2.0/24, table: 100}\n',
    line: 3,
    cols: [5],
    message: /priority/,
  },
  'passthru macvtap sharing its lower device': {
    text: 'version: 1\ninterfaces:\n  eth0: {kind: ethernet}\n  mv0: {kind: macvlan, link: eth0, mode: bridge}\n  mvt0: {kind: macvtap, link: eth0, mode: passthru}\n',
    line: 5,
    cols: [43],
    message: /mvt0 is in passthru mode on eth0, which also carries mv0/,
    hint: /must be alone on its lower device/,
  },
  'a vxlan carried over the bridge it is a port of': {
    text: 'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [vx0], addresses: [192.0.2.1/24]}\n  vx0: {kind: vxlan, vni: 5, dev: br0, remote: 192.0.2.9}\n',
    line: 4,
    cols: [35],
    message: /vx0 is a port of br0 and also runs over it \(dev: br0\)/,
    hint: /underlay/,
  },
  'sysctl key outside net.*': {
    text: 'version: 1\nsysctls:\n  net.ipv4.ip_forward: 1\n  kernel.hostname: x\n',
    line: 4,
    cols: [3],
    message: /"kernel\.hostname" is not a per-namespace network sysctl/,
  },
};

describe('bad input: each error at its file:line:col', () => {
  for (const [name, bad] of Object.entries(BAD))
    (bad.knownBug ? it.fails : it)(name, () => {
      const r = load(bad.text, FILE);
      expect(r.desired).toBeUndefined();
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.length, JSON.stringify(errors)).toBeGreaterThanOrEqual(1);
      const d = errors.find((e) => bad.message.test(e.message));
      expect(d, `no error matching ${bad.message}; got ${JSON.stringify(errors.map((e) => e.message))}`).toBeDefined();
      expect(d!.source?.file).toBe(FILE);
      expect(d!.source?.line).toBe(bad.line);
      if (bad.cols) expect(bad.cols).toContain(d!.source?.col);
      if (bad.hint) expect(d!.hint).toMatch(bad.hint);
    });
});

// README.md and nethost(1)/nethost.yaml(5) promise "each error with file:line:col and a hint" (`validate`
// prints "file:line:col: error: message" followed by "hint: …").
// BUG (src/config/load.ts, zodDiagnostics; src/config/load.ts interface-name check): the diagnostics
// marked below carry no `hint` (the guidance, when any, is folded into the message instead).
const NO_HINT_YET = new Set<string>([]);

describe('bad input: every error has a hint', () => {
  for (const [name, bad] of Object.entries(BAD)) {
    (NO_HINT_YET.has(name) ? it.fails : it)(name, () => {
      const r = load(bad.text, FILE);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      for (const d of errors) expect(d.hint, d.message).toMatch(/\S/);
    });
  }
});

it('a missing key is reported as missing', () => {
  const r = load(BAD['missing required field'].text, FILE);
  expect(r.diagnostics.map((d) => d.message)).toContainEqual(expect.stringMatching(/missing.*"vni"/));
});

// BUG (src/kinds/links/vxlan.ts): nethost.yaml(5) and the schema describe `group` (multicast, with
// dev) "or" `remote` ("exclusive with remote"), and iproute2 refuses both at once; the file loads
// without an error, so `validate` passes a file that `apply` cannot apply.
it('vxlan: group and remote together are an error', () => {
  const r = load(
    'version: 1\ninterfaces:\n  uplink0: {kind: ethernet}\n  vx0: {kind: vxlan, vni: 5, group: 239.1.1.1, dev: uplink0, remote: 192.0.2.1}\n',
    FILE,
  );
  expect(r.desired).toBeUndefined();
  expect(r.diagnostics[0].source?.line).toBe(4);
});

describe('all errors at once', () => {
  const text = [
    'version: 1', //                                   1
    'interfaces:', //                                  2
    '  br0: {kind: bridge, stpp: true}', //            3 unknown key
    '  vx0: {kind: vxlan}', //                         4 missing vni
    '  br1: {kind: bridge, ports: [nope]}', //         5 unknown port
    'routes:', //                                      6
    '  - {to: nowhere, via: 192.0.2.1}', //            7 bad destination
    'sysctls:', //                                     8
    '  kernel.panic: 1', //                            9 not net.*
    'bogus: 1', //                                     10 unknown top-level key
    '',
  ].join('\n');

  it('reports every problem, in line order', () => {
    const r = load(text, FILE);
    expect(r.desired).toBeUndefined();
    const lines = r.diagnostics.map((d: Diagnostic) => d.source?.line);
    expect(lines).toEqual([3, 4, 5, 7, 9, 10]);
    expect(r.diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });

  it('diagnostics within one line are ordered by column', () => {
    const r = load('version: 1\ninterfaces:\n  br0: {kind: bridge, stpp: true, agein: 3}\n', FILE);
    const cols = r.diagnostics.map((d) => d.source!.col);
    expect(cols.length).toBe(2);
    expect([...cols].sort((a, b) => a - b)).toEqual(cols);
  });
});

describe('other checks', () => {
  it('a missing or wrong version', () => {
    expect(load('interfaces: {}\n', FILE).diagnostics[0].message).toMatch(/version/);
    const r = load('version: 2\n', FILE);
    expect(r.diagnostics[0]).toMatchObject({
      message: expect.stringMatching(/unsupported version 2/),
      source: { line: 1, col: 10 },
    });
  });

  it('a file that is not a mapping', () => {
    const r = load('- 1\n- 2\n', FILE);
    expect(r.desired).toBeUndefined();
    expect(r.diagnostics[0].source).toEqual({ file: FILE, line: 1, col: 1 });
  });

  it('a duplicate YAML key is a YAML error at the second key', () => {
    const r = load('version: 1\ninterfaces:\n  br0: {kind: bridge}\n  br0: {kind: tap}\n', FILE);
    expect(r.desired).toBeUndefined();
    expect(r.diagnostics[0].source?.line).toBe(4);
  });

  it('an unknown user for a tap', () => {
    const r = load('version: 1\ninterfaces:\n  tap0:\n    kind: tap\n    user: no-such-user-here\n', FILE);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      message: expect.stringMatching(/no such user/),
      source: { line: 5, col: 11 },
    });
  });

  it('a link named only by a route', () => {
    const r = load('version: 1\nroutes:\n  - {to: 192.0.2.0/24, dev: br9}\n', FILE);
    expect(r.diagnostics[0]).toMatchObject({ message: expect.stringMatching(/"br9"/), source: { line: 3 } });
  });

  it('a veth whose declared peer does not name it back', () => {
    const r = load('version: 1\ninterfaces:\n  va0: {kind: veth, peer: vb0}\n  vb0: {kind: veth, peer: vc0}\n', FILE);
    expect(r.desired).toBeUndefined();
  });

  it("a gateway outside the file's addresses is left to plan time when an ethernet may bring addresses", () => {
    const r = load(
      'version: 1\ninterfaces:\n  uplink0: {kind: ethernet}\nroutes:\n  - {to: default, via: 198.51.100.1}\n',
      FILE,
    );
    expect(r.diagnostics).toEqual([]);
  });

  it('an onlink gateway needs no covering address', () => {
    const r = load(
      'version: 1\ninterfaces:\n  br0: {kind: bridge}\nroutes:\n  - {to: default, via: 198.51.100.1, dev: br0, onlink: true}\n',
      FILE,
    );
    expect(r.diagnostics).toEqual([]);
  });
});
