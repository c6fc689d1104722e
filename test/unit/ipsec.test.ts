// IPsec keys (src/backends/ovs/psk.ts): read from where the file names them, checked, and never in
// an error, nor in a tool's message that echoes them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PSK_REF, redactKeys, resolvePsk, validPsk } from '../../src/backends/ovs/psk.js';
import { ovsBackend } from '../../src/backends/ovs/backend.js';
import type { Operation } from '../../src/model.js';

const KEY = 'Sw0rdf1sh-unit-key';

describe('IPsec keys', () => {
  it('reads a file (one trailing newline dropped) and a variable', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'nethost-psk-')), 'k');
    writeFileSync(f, `${KEY}\n`);
    expect(resolvePsk(`file:${f}`)).toBe(KEY);
    process.env.NETHOST_UNIT_PSK = KEY;
    try {
      expect(resolvePsk('env:NETHOST_UNIT_PSK')).toBe(KEY);
    } finally {
      delete process.env.NETHOST_UNIT_PSK;
    }
  });

  it('says where a key was looked for, never what it holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nethost-psk-'));
    expect(() => resolvePsk(`file:${dir}/none`, 'ipsec0')).toThrow(
      `IPsec key of ipsec0: cannot read ${dir}/none (no such file)`,
    );
    expect(() => resolvePsk('env:NETHOST_UNIT_UNSET', 'ipsec0')).toThrow(
      'IPsec key of ipsec0: the environment variable NETHOST_UNIT_UNSET is not set',
    );
    const bad = 'has blank "and quote';
    writeFileSync(join(dir, 'bad'), bad);
    let message = '';
    try {
      resolvePsk(`file:${dir}/bad`, 'ipsec0');
    } catch (e: any) {
      message = e.message;
    }
    expect(message).toBe(
      `IPsec key of ipsec0 (${dir}/bad) must be at least 8 printable characters without blanks, quotes or backslashes`,
    );
    expect(message).not.toContain(bad);
  });

  it('a key is what ipsec.secrets takes unquoted: 8 or more printable characters, no blank, quote or backslash', () => {
    expect(['12345678', KEY, '!#$%&()*+,-./:;<=>?@[]^_`{|}~'].map(validPsk)).toEqual([true, true, true]);
    expect(
      ['1234567', 'with blank', 'tab\there', 'quo"te12', 'back\\slash', 'nül\u0000xxxxx', 'ümlautxxx', ''].map(
        validPsk,
      ),
    ).toEqual(Array(8).fill(false));
  });

  it("cuts every key out of a tool's message, the longer first when one holds another", () => {
    const msg = `set Interface ipsec0 options:psk="${KEY}": unknown; options:psk="${KEY}x" too`;
    const out = redactKeys(msg, [KEY, `${KEY}x`]);
    expect(out).toBe('set Interface ipsec0 options:psk="<IPsec key>": unknown; options:psk="<IPsec key>" too');
    expect(out).not.toContain('Sw0rdf1sh');
    expect(redactKeys('nothing secret', [])).toBe('nothing secret');
  });
});

describe("the argv nethost records of a child (the journal's progress, the trace)", () => {
  it('has the key of an OVS transaction cut out, as the error has', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'nethost-psk-')), 'k');
    writeFileSync(f, `${KEY}\n`);
    const op: Operation = {
      resource: 'ovs-tunnel:sec0',
      action: 'update',
      phase: 'put',
      backend: 'ovs',
      args: ['set', 'Interface', 'sec0', `options:psk=${PSK_REF}file:${f}`],
      disruptive: false,
    };
    const seen: string[][] = [];
    // No such database: ovs-vsctl starts, is given the key, and fails.
    const failure = await ovsBackend.run([op], undefined, {
      options: { ovsdb: 'unix:/nonexistent/nethost-unit-db.sock' },
      onSpawn: (c) => void seen.push(c.argv),
    });
    expect(failure).toBeDefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('options:psk="<IPsec key>"');
    expect(JSON.stringify(seen) + failure!.message).not.toContain(KEY);
  });
});
