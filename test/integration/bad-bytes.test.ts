// Bad bytes (issue 9), against real namespaces: foreign links whose names and aliases hold control
// characters are read, left alone and shown escaped; a file with control characters in a name or a
// sysctl value is refused before anything changes; --netns takes only real namespace names. Odd
// bytes go through execFileSync argv arrays, never a shell string.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteAllNetns, ip, ipJson, newNetns, nethost, tempFile } from '../helpers/netns.js';

afterAll(() => deleteAllNetns());

/** Any control character but the newlines that end lines: what must never reach a terminal raw. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

/** A link's ifalias exactly as the kernel holds it (sysfs: no JSON in between). */
const aliasOf = (ns: string, dev: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/ifalias`])
    .toString('latin1')
    .replace(/\n$/, '');
/** One link by name, read with `ip -j` directly (a link of plain bytes: JSON.parse takes it). */
const link = (ns: string, dev: string) => ipJson<any[]>(ns, '-d', 'link', 'show', 'dev', dev)[0];
const linkNames = (ns: string) =>
  execFileSync('ip', ['-n', ns, '-o', 'link', 'show'])
    .toString('latin1')
    .split('\n')
    .filter((l) => /^\d+: /.test(l))
    .map((l) => l.split(': ')[1].split('@')[0])
    .sort(); // (an alias's own newline starts a line of its own)
const sysctl = (ns: string, key: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'cat', `/proc/sys/${key.replace(/\./g, '/')}`])
    .toString()
    .trim();

describe('foreign links with control characters in their names and aliases', () => {
  const ns = newNetns('odd');
  // Someone else's bridge aliased $'a\x01b'; a veth aliased with a newline and an ESC sequence
  // (iproute2 escapes the newline in JSON, not the ESC), its peer named with an ESC.
  ip('-n', ns, 'link', 'add', 'fb0', 'type', 'bridge');
  ip('-n', ns, 'link', 'set', 'fb0', 'alias', 'a\x01b');
  ip('-n', ns, 'link', 'add', 'fv0', 'type', 'veth', 'peer', 'name', 'fv1');
  ip('-n', ns, 'link', 'set', 'fv0', 'alias', 'line1\nline2\x1b[31mred');
  ip('-n', ns, 'link', 'set', 'fv1', 'name', 'fv\x1b1');
  // What nethost used to choke on: the raw ESC and \x01 inside JSON strings.
  expect(() => JSON.parse(ip('-n', ns, '-j', 'link', 'show'))).toThrow(SyntaxError);

  // The file adopts fv0 (replacing its alias) as a port of a new bridge, and leaves the rest alone.
  const file = tempFile(
    'odd.yaml',
    'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [fv0], addresses: [192.0.2.1/24]}\n  fv0: {kind: ethernet}\n',
  );
  const ESCAPED = '"line1\\nline2\\x1b[31mred"';

  it('plan works and shows the alias it replaces escaped', () => {
    const r = nethost('plan', file, '--netns', ns);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('+ bridge br0');
    expect(r.stdout).toContain(
      `& ethernet fv0  (exists, not created by nethost: will be marked as managed, replacing its alias ${ESCAPED})`,
    );
    expect(r.stdout).not.toMatch(/fb0|fv\\x1b1/); // not nethost's: not in the plan
    expect(r.stdout).not.toMatch(RAW);
    const json = nethost('plan', file, '--netns', ns, '--json');
    expect(json.stdout).not.toMatch(RAW);
    const mark = JSON.parse(json.stdout)
      .changes.find((c: any) => c.id === 'link:fv0')
      .attributes.find((a: any) => a.name === 'mark');
    expect(mark.before).toBe('line1\nline2\x1b[31mred');
  });

  it('drift-check works and shows it escaped', () => {
    const r = nethost('drift-check', file, '--netns', ns);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(
      `drift: bridge br0: missing\ndrift: ethernet fv0: not marked as managed (alias ${ESCAPED})\ndrift: address 192.0.2.1/24 on br0: missing\n`,
    );
  });

  it('apply works, verifies, and leaves the foreign links as they were', () => {
    const r = nethost('apply', file, '--netns', ns, '--yes');
    expect(r.stderr).not.toMatch(RAW);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Applied and verified/);
    expect(link(ns, 'br0').ifalias).toBe('nethost');
    // fv0's own JSON holds its peer's raw ESC: read it from sysfs.
    expect(aliasOf(ns, 'fv0')).toBe('nethost:existing;alias=line1\nline2\x1b[31mred');
    expect(execFileSync('ip', ['netns', 'exec', ns, 'readlink', '/sys/class/net/fv0/master']).toString().trim()).toBe(
      '../br0',
    );
    expect(
      ipJson<any[]>(ns, 'addr', 'show', 'dev', 'br0')[0].addr_info.map((a: any) => `${a.local}/${a.prefixlen}`),
    ).toContain('192.0.2.1/24');
    expect(aliasOf(ns, 'fb0')).toBe('a\x01b');
    expect(linkNames(ns)).toEqual(['br0', 'fb0', 'fv0', 'fv\x1b1', 'lo'].sort());
    expect(nethost('drift-check', file, '--netns', ns)).toMatchObject({ code: 0, stdout: '' });
    expect(nethost('plan', file, '--netns', ns).code).toBe(0);
  });
});

describe('a file with a control character is refused before anything changes', () => {
  it('an interface name holding an ESC: validate names the place; apply changes nothing', () => {
    const ns = newNetns('escname');
    const before = linkNames(ns);
    const file = tempFile('esc.yaml', 'version: 1\ninterfaces:\n  br0: {kind: bridge}\n  "br\\e[2J": {kind: bridge}\n');
    const v = nethost('validate', file);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`${file}:4:3: error: interface name "br\\x1b[2J": holds a control character or NUL`);
    expect(v.stderr).toMatch(/hint: write printable characters only/);
    expect(v.stderr).not.toMatch(RAW);
    const a = nethost('apply', file, '--netns', ns, '--yes');
    expect(a.code).toBe(1);
    expect(a.stderr).toContain(':4:3: error: interface name "br\\x1b[2J"');
    expect(linkNames(ns)).toEqual(before);
  });

  it('a sysctl value holding a NUL, or of 200 KB: refused, nothing set, nothing created', () => {
    const ns = newNetns('sysnul');
    const forwarding = sysctl(ns, 'net.ipv4.ip_forward');
    const before = linkNames(ns);
    for (const [value, why] of [
      ['"1\\0"', /holds a control character or NUL/],
      [`"${'1'.repeat(200 * 1024)}"`, /is longer than 4096 bytes/],
    ] as const) {
      const file = tempFile(
        'sys.yaml',
        `version: 1\ninterfaces:\n  br0: {kind: bridge}\nsysctls:\n  net.ipv4.ip_forward: ${value}\n`,
      );
      const r = nethost('apply', file, '--netns', ns, '--yes');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/:5:24: error: sysctl net\.ipv4\.ip_forward "1/);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toMatch(/TypeError|E2BIG/);
      expect(sysctl(ns, 'net.ipv4.ip_forward')).toBe(forwarding);
      expect(linkNames(ns)).toEqual(before);
    }
  });
});

describe('--netns: only a name ip netns add could have made', () => {
  // Even were the check gone, this file could change nothing anywhere: planning stops at the missing
  // ethernet device. So an empty --netns can never reach the current namespace's links.
  const file = tempFile('netns.yaml', 'version: 1\ninterfaces:\n  nhtmissing0: {kind: ethernet}\n');
  for (const [name, why] of [
    ['', /--netns "" is empty \(an unset shell variable\?\)/],
    ['a/b', /--netns "a\/b" contains '\/'/],
  ] as const) {
    it(`${JSON.stringify(name)}: every command exits 1 with a sentence, before reading anything`, () => {
      for (const cmd of [['plan'], ['drift-check'], ['apply', '--yes']]) {
        const r = nethost(cmd[0], file, '--netns', name, ...cmd.slice(1));
        expect(r.code, `${cmd[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^nethost: ${why.source}`));
        expect(r.stderr).not.toMatch(/ethernet device|ENOENT|Error:|at .*\.js/); // stopped before reading the kernel
        expect(r.stdout).toBe('');
      }
      const json = nethost('apply', file, '--netns', name, '--yes', '--json');
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout).error).toMatch(why);
    });
  }
});

describe('what is typed on the command line', () => {
  it('an unknown flag or command holding an ESC sequence is echoed escaped, never raw', () => {
    for (const argv of [['plan', '--x\x1b[31mred'], ['pl\x1b[2Jan']]) {
      const r = nethost(...argv);
      expect(r.code).not.toBe(0);
      expect(r.stderr + r.stdout).not.toMatch(/\x1b/);
      expect(r.stderr).toMatch(/\\x1b\[(31m|2J)/);
    }
  });
});
