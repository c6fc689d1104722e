// Bad bytes and bombs in the file (issue 9): control characters in any free-text field, alias
// bombs, deep nesting, files too large; and errors that name the field and what it takes.
import { mkdtempSync, rmSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/model.js';
import { NethostError } from '../../src/model.js';
import { MAX_FILE_BYTES } from '../../src/config/load.js';
import { readConfigFile } from '../../src/config/read-file.js';
import { MAX_ALIAS_NODES, MAX_ALIASES, parseYaml } from '../../src/config/yaml.js';
import { parseSubset } from '../../src/config/yaml-subset.js';
import {
  account,
  cidr,
  fwmark,
  ifname,
  ipAddress,
  macAddress,
  SYSCTL_VALUE_MAX,
  sysctlText,
  tableRef,
  text,
  token,
} from '../../src/kinds/fields.js';
import { load } from './fixtures.js';

const FILE = 'host.yaml';
const errorsOf = (text: string): Diagnostic[] => {
  const r = load(text, FILE);
  expect(r.desired, 'the file must be refused').toBeUndefined();
  return r.diagnostics.filter((d) => d.severity === 'error');
};

/** Line and column (1-based) of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): { line: number; col: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`"${needle}" is not in the text`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

describe('fields.ts: every shared refinement refuses control characters first, and alone', () => {
  const fields = {
    text,
    ifname,
    ipAddress,
    cidr,
    macAddress,
    fwmark,
    tableRef,
    token,
    user: account('user'),
    sysctlText,
  };
  const good: Record<keyof typeof fields, string> = {
    text: 'any words ü',
    ifname: 'br-lan.10',
    ipAddress: '2001:db8::1',
    cidr: '192.0.2.1/24',
    macAddress: '02:00:00:00:00:01',
    fwmark: '0x1/0xff',
    tableRef: 'vpn',
    token: 'lab-2',
    user: 'nobody',
    sysctlText: '4096\t87380',
  };
  for (const [name, schema] of Object.entries(fields)) {
    it(name, () => {
      expect(schema.safeParse(good[name as keyof typeof fields]).success).toBe(true);
      for (const bad of ['\x00', '\x01', '\x1b[31m', '\x7f', '\x9b']) {
        const r = schema.safeParse(`${good[name as keyof typeof fields]}${bad}`);
        expect(r.success).toBe(false);
        const leaves = (issues: any[]): any[] =>
          issues.flatMap((i) => (i.code === 'invalid_union' ? leaves(i.errors.flat()) : [i]));
        // Of the checks on text (a union's other branches only say "not a number", "not main"), the
        // control-character one runs, and alone: no other refinement speaks about the same value.
        const refinements = leaves(r.error!.issues).filter((i) => i.code === 'custom' || i.code === 'invalid_format');
        expect(refinements.map((i) => i.message)).toEqual([
          expect.stringMatching(/^holds a control character or NUL; write printable characters only/),
        ]);
      }
    });
  }
});

describe('a control character or NUL in any free-text field: refused where it is written, naming the field', () => {
  // Each file holds one bad value, written `"z\ez"` (YAML's escape for ESC) or as the case says;
  // the error must point at that value (its opening quote), name the field, and say what to write.
  const Z = '"z\\ez"';
  const base = 'version: 1\ninterfaces:\n  up0: {kind: ethernet}\n';
  const cases: Record<string, { text: string; at?: string; field: RegExp }> = {
    'interface name': { text: `version: 1\ninterfaces:\n  ${Z}: {kind: bridge}\n`, field: /^interface name "z\\x1bz"/ },
    'interface name with NUL': {
      text: 'version: 1\ninterfaces:\n  "br\\0": {kind: bridge}\n',
      at: '"br\\0"',
      field: /^interface name "br\\0"/,
    },
    'interface name with DEL': {
      text: 'version: 1\ninterfaces:\n  "br\\x7f": {kind: bridge}\n',
      at: '"br\\x7f"',
      field: /^interface name "br\\x7f"/,
    },
    'interface name with a C1 control (CSI)': {
      text: 'version: 1\ninterfaces:\n  "br\\x9b": {kind: bridge}\n',
      at: '"br\\x9b"',
      field: /^interface name "br\\x9b"/,
    },
    'ports entry': { text: `${base}  br0: {kind: bridge, ports: [up0, ${Z}]}\n`, field: /^ports\[1\] "z\\x1bz"/ },
    mac: { text: `${base}  br0: {kind: bridge, mac: ${Z}}\n`, field: /^mac / },
    'addresses entry': { text: `${base}  br0: {kind: bridge, addresses: [${Z}]}\n`, field: /^addresses\[0\] / },
    'vxlan dev': { text: `${base}  vx0: {kind: vxlan, vni: 1, remote: 192.0.2.1, dev: ${Z}}\n`, field: /^dev / },
    'vxlan local': { text: `${base}  vx0: {kind: vxlan, vni: 1, remote: 192.0.2.1, local: ${Z}}\n`, field: /^local / },
    'veth peer': { text: `${base}  va0: {kind: veth, peer: ${Z}}\n`, field: /^peer / },
    'veth peer_netns': { text: `${base}  va0: {kind: veth, peer: vb0, peer_netns: ${Z}}\n`, field: /^peer_netns / },
    'macvlan link': { text: `${base}  mv0: {kind: macvlan, link: ${Z}}\n`, field: /^link / },
    'vlan link': { text: `${base}  v10: {kind: vlan, id: 10, link: ${Z}}\n`, field: /^link / },
    'bond primary': { text: `${base}  bond0: {kind: bond, primary: ${Z}}\n`, field: /^primary / },
    'gre remote': { text: `${base}  gre1: {kind: gre, remote: ${Z}}\n`, field: /^remote / },
    'tap user': { text: `${base}  tap0: {kind: tap, user: ${Z}}\n`, field: /^user / },
    'tun group': { text: `${base}  tun0: {kind: tun, group: ${Z}}\n`, field: /^group / },
    'route to': { text: `${base}routes:\n  - {to: ${Z}, dev: up0}\n`, field: /^to / },
    'route via': { text: `${base}routes:\n  - {to: default, via: ${Z}}\n`, field: /^via / },
    'route dev': { text: `${base}routes:\n  - {to: default, dev: ${Z}}\n`, field: /^dev / },
    'route table': {
      text: `${base}routes:\n  - {to: default, dev: up0, table: ${Z}}\n`,
      field: /^table "z\\x1bz": holds a control/,
    },
    'route src': { text: `${base}routes:\n  - {to: default, dev: up0, src: ${Z}}\n`, field: /^src / },
    'rule from': { text: `${base}rules:\n  - {priority: 1, from: ${Z}, table: 100}\n`, field: /^from / },
    'rule iif': { text: `${base}rules:\n  - {priority: 1, iif: ${Z}, table: 100}\n`, field: /^iif / },
    'rule oif': { text: `${base}rules:\n  - {priority: 1, oif: ${Z}, table: 100}\n`, field: /^oif / },
    'rule fwmark': {
      text: `${base}rules:\n  - {priority: 1, fwmark: ${Z}, table: 100}\n`,
      field: /^fwmark "z\\x1bz": holds a control/,
    },
    'rule table': {
      text: `${base}rules:\n  - {priority: 1, table: ${Z}}\n`,
      field: /^table "z\\x1bz": holds a control/,
    },
    'neighbour dev': {
      text: `${base}neighbors:\n  - {dev: ${Z}, to: 192.0.2.9, lladdr: 02:00:00:00:00:09}\n`,
      field: /^dev /,
    },
    'neighbour lladdr': { text: `${base}neighbors:\n  - {dev: up0, to: 192.0.2.9, lladdr: ${Z}}\n`, field: /^lladdr / },
    'sysctl key': {
      text: 'version: 1\nsysctls:\n  "net.ipv4.\\e": 1\n',
      at: '"net.ipv4.\\e"',
      field: /^sysctl key "net\.ipv4\.\\x1b"/,
    },
    'sysctl value with NUL': {
      text: 'version: 1\nsysctls:\n  net.ipv4.ip_forward: "1\\0"\n',
      at: '"1\\0"',
      field: /^sysctl net\.ipv4\.ip_forward "1\\0": holds a control character or NUL/,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const errors = errorsOf(c.text);
      expect(errors, JSON.stringify(errors)).toHaveLength(1);
      const [d] = errors;
      expect(d.message).toMatch(c.field);
      expect(d.message).toMatch(/control character or NUL/);
      expect(d.hint).toMatch(/printable characters only/);
      expect(d.source).toEqual({ file: FILE, ...where(c.text, c.at ?? Z) });
      expect(d.message).not.toMatch(/[\x00-\x1f\x7f-\x9f]/); // the message itself shows it escaped
    });
  }

  it('printable text of any script is fine, and a sysctl value may hold blanks of any kind', () => {
    const r = load(
      'version: 1\ninterfaces:\n  "brü😀": {kind: bridge}\nsysctls:\n  net.ipv4.tcp_rmem: "4096\\t131072\\n6291456\\n"\n',
      FILE,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.resources.get('sysctl:net/ipv4/tcp_rmem')!.attrs.value).toBe('4096 131072 6291456');
  });
});

describe('sysctl values: at most 4096 bytes', () => {
  const file = (value: string) => `version: 1\nsysctls:\n  net.ipv4.ip_forward: "${value}"\n`;
  it('4096 bytes load', () => {
    expect(load(file('1'.repeat(SYSCTL_VALUE_MAX)), FILE).diagnostics).toEqual([]);
  });
  it('4097 bytes (or 4096 characters of two bytes each) are refused, at the value, with the limit', () => {
    for (const value of ['1'.repeat(SYSCTL_VALUE_MAX + 1), 'é'.repeat(SYSCTL_VALUE_MAX / 2 + 1)]) {
      const [d] = errorsOf(file(value));
      expect(d.message).toMatch(/^sysctl net\.ipv4\.ip_forward ".{64}…": is longer than 4096 bytes/);
      expect(d.source).toMatchObject({ line: 3, col: 24 });
      expect(d.hint).toMatch(/\S/);
    }
  });
  it('a key longer than any under /proc/sys/net is refused', () => {
    const [d] = errorsOf(`version: 1\nsysctls:\n  net.ipv4.${'a'.repeat(300)}: 1\n`);
    expect(d.message).toMatch(/is longer than 255 bytes/);
    expect(d.source).toMatchObject({ line: 3, col: 3 });
  });
});

describe('schema errors name the field, the value and what is allowed', () => {
  const one = (text: string) => {
    const errors = errorsOf(text);
    expect(errors, JSON.stringify(errors)).toHaveLength(1);
    return errors[0];
  };
  const iface = (entry: string) => `version: 1\ninterfaces:\n  x0: {${entry}}\n`;
  it('a number out of range: the bounds from the schema', () => {
    const d = one(iface('kind: vxlan, vni: 99999999, remote: 192.0.2.1'));
    expect(d.message).toBe('vni 99999999 is out of range 0–16777215');
    expect(d.hint).toBe('write a whole number from 0 to 16777215');
    expect(d.source).toMatchObject({ line: 3, col: 26 });
    expect(one(iface('kind: bridge, mtu: 10')).message).toBe('mtu 10 is out of range 68–65535');
    expect(one(iface('kind: bridge, forward_delay: 31')).hint).toBe('write a number from 2 to 30');
    expect(one(iface('kind: bond, miimon: -5')).message).toBe('miimon -5 is less than 0');
    expect(one(iface('kind: bond, mode: 9')).message).toBe('mode 9 is out of range 0–6'); // a number inside a union, behind a transform
    expect(one('version: 1\nrules:\n  - {priority: 1, fwmark: -1, table: 100}\n').message).toBe(
      'fwmark -1 is out of range 0–4294967295',
    );
    expect(one('version: 1\nrules:\n  - {priority: 40000, table: 100}\n').message).toBe(
      'priority 40000 is out of range 1–32765',
    );
  });
  it('a number that must be whole', () => {
    const d = one(iface('kind: bridge, mtu: 1500.5'));
    expect(d.message).toBe('mtu must be an integer, not the number 1500.5');
    expect(d.hint).toBe('write a whole number from 68 to 65535');
  });
  it('a number written as text', () => {
    const d = one(iface('kind: bridge, mtu: "1500"'));
    expect(d.message).toBe('mtu must be a number, not a string "1500"');
    expect(d.hint).toBe('write it without quotes: mtu: 1500');
  });
  it('a boolean written as yes/no, a list written as one value, an unknown option', () => {
    expect(one(iface('kind: bridge, stp: yes')).message).toBe('stp must be true or false, not a string "yes"');
    expect(one(iface('kind: bridge, addresses: 192.0.2.1/24')).message).toBe(
      'addresses must be a list, not a string "192.0.2.1/24"',
    );
    const d = one(iface('kind: bridge, state: sideways'));
    expect(d.message).toBe('state "sideways" is not one of up, down');
    expect(d.hint).toBe('write one of: up, down');
  });
  it('a value none of the forms of a field takes', () => {
    const d = one('version: 1\nsysctls:\n  net.ipv4.ip_forward: [1]\n');
    expect(d.message).toBe('sysctl net.ipv4.ip_forward must be text, a number or true or false, not a list');
    expect(one('version: 1\nrules:\n  - {priority: 1, fwmark: true, table: 100}\n').message).toBe(
      'fwmark must be a number or text, not the boolean true',
    );
  });
  it('a section of the wrong shape', () => {
    expect(one('version: 1\nroutes: {to: default}\n').message).toBe('routes must be a list, not a mapping');
  });
  it("a refinement: the field, the value, then the refinement's own words", () => {
    const d = one(iface('kind: bridge, mac: "02:00:00:00:00"'));
    expect(d.message).toBe('mac "02:00:00:00:00": not a MAC address');
    expect(d.hint).toMatch(/six hex pairs/);
  });
  it('one error per field, the most telling', () => {
    // fwmark -1 fails both the number's range and the mark's refinement: reported once.
    expect(errorsOf('version: 1\nrules:\n  - {priority: 1, fwmark: -1, table: 100}\n')).toHaveLength(1);
  });
  it('a kind or version that is not a scalar is named as what it is', () => {
    expect(one(iface('kind: [bridge]')).message).toBe('kind of interface "x0" must be text, not a list');
    expect(one('version: {a: 1}\n').message).toBe('version must be the number 1, not a mapping');
  });
  it("a veth's peer_netns must be a name ip netns add could have made", () => {
    const d = one(iface('kind: veth, peer: p0, peer_netns: ".."'));
    expect(d.message).toBe('peer_netns "..": not a namespace name (not "." or "..", at most 255 bytes)');
    expect(d.hint).toBe('write a name that ip netns list shows');
    expect(one(iface('kind: veth, peer: p0, peer_netns: a/b')).message).toBe(
      'peer_netns "a/b": only letters, digits and _ . @ + - are allowed here',
    );
  });
  it('a long value is quoted short', () => {
    const d = one(`version: 1\ninterfaces:\n  x0: {kind: ${'b'.repeat(100000)}}\n`);
    expect(d.message.length).toBeLessThan(200);
  });
});

describe('alias bombs: refused at the alias that goes past the limit', () => {
  // 81 aliases, nine deep: under MAX_ALIASES, but 9^9 nodes expanded.
  const laughs = ['  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 8; i++)
    laughs.push(
      `  a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  const bomb = `x:\n${laughs.join('\n')}\n`;
  const check = (text: string) => {
    expect(parseSubset(text)).toBeUndefined(); // anchors are not the fast path's: js-yaml reads them
    const [d] = errorsOf(text);
    expect(d.message).toMatch(/^YAML: the aliases stand for more than 100000 nodes \(\*a\d here goes past it\)/);
    expect(d.hint).toMatch(/at most 100000 nodes/);
    // Nine-fold growth: past 100000 at the fifth level's aliases.
    expect(d.source).toEqual({ file: FILE, ...where(text, '*a4') });
  };
  it('as version:', () => check(`${bomb}version: *a8\n`));
  it('as kind:', () =>
    check(`version: 1\ninterfaces:\n  x:\n${laughs.map((l) => `  ${l}`).join('\n')}\n  br0: {kind: *a8}\n`));
  it('more than 100 aliases, however small', () => {
    const text = `version: 1\nsysctls: &s {net.ipv4.ip_forward: 1}\nx: [${Array(MAX_ALIASES + 1)
      .fill('*s')
      .join(', ')}]\n`;
    const r = parseYaml(text, FILE);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(/more than 100 aliases/);
      expect(r.error.source).toMatchObject({ line: 3, col: 5 + 4 * MAX_ALIASES }); // the 101st
    }
  });
  it('an alias inside the node it names (js-yaml would build a cycle)', () => {
    const text = 'version: 1\ninterfaces: &i {br0: *i}\n';
    const r = parseYaml(text, FILE);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatchObject({
        message: expect.stringMatching(/alias \*i is inside the node it names/),
        source: { file: FILE, ...where(text, '*i') },
      });
  });
  it('aliases up to the limit load, and one node more does not', () => {
    const list = (n: number) => `[${Array(n).fill('0').join(', ')}]`;
    const uses = Array(MAX_ALIASES).fill('*l').join(', ');
    // A list of n scalars is n + 1 nodes; MAX_ALIASES aliases of it.
    const atLimit = `version: 1\nl: &l ${list(MAX_ALIAS_NODES / MAX_ALIASES - 1)}\nx: [${uses}]\n`;
    expect(parseYaml(atLimit, FILE).ok).toBe(true);
    expect(parseYaml(atLimit.replace('l: &l [', 'l: &l [0, '), FILE).ok).toBe(false);
  });
  it('ordinary aliases: an entry written once and used three times', () => {
    const ok = load('version: 1\ninterfaces:\n  br0: &br {kind: bridge, stp: true}\n  br1: *br\n  br2: *br\n', FILE);
    expect(ok.diagnostics).toEqual([]);
    expect(ok.desired!.resources.get('link:br2')!.attrs.stp).toBe(true);
  });
});

describe('deep nesting: a positioned error, never a stack overflow', () => {
  it.each([
    ['flow sequences', 20000, (n: number) => `version: 1\nx: ${'['.repeat(n)}${']'.repeat(n)}\n`],
    ['flow mappings', 20000, (n: number) => `version: 1\nx: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`],
    [
      'block mappings',
      3000,
      (n: number) => `version: 1\nx:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}a:`).join('\n')} 1\n`,
    ],
  ] as const)('%s', (_, depth, make) => {
    const deep = make(depth);
    const r = parseYaml(deep, FILE);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(/nesting exceeded maxDepth \(100\)/);
      expect(r.error.hint).toMatch(/nested at most 100 deep/);
      expect(r.error.source.line).toBeGreaterThanOrEqual(2);
    }
    // Deeper than the fast path goes, within js-yaml's limit: read, by js-yaml.
    const medium = make(80);
    expect(parseSubset(medium)).toBeUndefined();
    expect(parseYaml(medium, FILE).ok).toBe(true);
  });
});

describe('file size: at most 16 MiB, refused before parsing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nethost-size-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('a larger file is refused by its size, without being read', async () => {
    const p = join(dir, 'big.yaml');
    writeFileSync(p, '');
    truncateSync(p, 50 * 1024 * 1024); // sparse: nothing is written, and nothing need be read
    await expect(readConfigFile(p)).rejects.toThrow(
      /big\.yaml is 52428800 bytes: nethost reads files of at most 16 MiB \(16777216 bytes\)/,
    );
  });
  it('a stream with no size (a device, a pipe) is read up to the limit and refused past it', async () => {
    await expect(readConfigFile('/dev/zero')).rejects.toThrow(
      /is more than 16777216 bytes: nethost reads files of at most 16 MiB/,
    );
  });
  it('a file at the limit is read; a missing file and a directory are named as such', async () => {
    const p = join(dir, 'limit.yaml');
    writeFileSync(p, Buffer.alloc(MAX_FILE_BYTES, 0x20));
    expect((await readConfigFile(p)).length).toBe(MAX_FILE_BYTES);
    await expect(readConfigFile(join(dir, 'nope.yaml'))).rejects.toThrow(/cannot read .*nope\.yaml: no such file/);
    mkdirSync(join(dir, 'sub'));
    await expect(readConfigFile(join(dir, 'sub'))).rejects.toThrow(/cannot read .*sub: a directory, not a file/);
    await expect(readConfigFile(join(dir, 'sub'))).rejects.toBeInstanceOf(NethostError);
  });
  it('text given directly (the pure loader) is held to the same limit, at 1:1', () => {
    const text = `version: 1\n#${'x'.repeat(MAX_FILE_BYTES)}\n`;
    const [d] = errorsOf(text);
    expect(d.message).toMatch(/^the file is 16777229 bytes: nethost reads files of at most 16 MiB/);
    expect(d.source).toEqual({ file: FILE, line: 1, col: 1 });
  });
});
