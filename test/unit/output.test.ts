// What nethost prints never carries raw control characters: names and values from the kernel or
// the file are shown escaped, in plans, drift lines, scripts, JSON, errors and diagnostics. And
// --netns takes only names `ip netns add` could have made; errors print at most 50 diagnostics.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/model.js';
import { NethostError } from '../../src/model.js';
import type { RawLive } from '../../src/backends/types.js';
import { normaliseLive } from '../../src/live/normalise.js';
import { splitIpBatch } from '../../src/backends/ip/json.js';
import { renderDrift, renderPlan } from '../../src/render/human.js';
import { renderScript } from '../../src/render/script.js';
import { shellQuote } from '../../src/util/text.js';
import { planJson } from '../../src/render/json.js';
import { errorJson, errorText, MAX_PRINTED_DIAGNOSTICS, toJson } from '../../commands/base.js';
import { formatDiagnostic } from '../../src/render/diagnostics.js';
import { checkNetns, netnsProblem } from '../../src/util/netns.js';
import { describeValue, printable, quote } from '../../src/util/text.js';
import { desired, facts, load, plan } from './fixtures.js';

/** Any control character but the newlines that end lines. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

// The live state of test/fixtures/odd-bytes/: bridge fb0 aliased $'a\x01b', veth fv0 aliased with a
// newline, ESC sequences, quotes, a backslash and bytes that are not UTF-8; its peer named $'fv\x1b1'.
function oddLive(edit: (raw: RawLive) => void = () => {}) {
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'odd-bytes', 'batch.out')).toString('utf8');
  const [links, neighbors] = splitIpBatch(text, 2) as [any[], any[]];
  const raw: RawLive = { links, neighbors, routes4: [], routes6: [], rules4: [], rules6: [], sysctls: {}, ovs: null };
  edit(raw);
  return normaliseLive(raw, facts(), 'ns-odd');
}
const FV0_ALIAS = String.raw`"line1\nline2 \x1b[31mred\x1b[0m \"q\" \\ ` + '\ufffd\ufffd"';

describe('a foreign link with odd bytes in its name or alias', () => {
  it("is not nethost's: a plan around it touches nothing of it", () => {
    const p = plan(desired('version: 1\ninterfaces:\n  br0: {kind: bridge}\n'), oddLive());
    expect(p.changes.map((c) => `${c.action} ${c.id}`)).toEqual(['create link:br0']);
  });

  it('adopted, its alias is shown (it is replaced) with every control character escaped', () => {
    const p = plan(
      desired('version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [fv0]}\n  fv0: {kind: ethernet}\n'),
      oddLive(),
    );
    const human = renderPlan(p, { color: false });
    expect(human).toContain(
      `& ethernet fv0  (exists, not created by nethost: will be marked as managed, replacing its alias ${FV0_ALIAS})`,
    );
    expect(human).not.toMatch(RAW);
    const drift = renderDrift(p);
    expect(drift).toContain(`drift: ethernet fv0: not marked as managed (alias ${FV0_ALIAS})`);
    expect(drift).not.toMatch(RAW);
    // JSON keeps the value exactly (JSON.stringify escapes C0; toJson also DEL and C1).
    const json = toJson(planJson(p));
    expect(json).not.toMatch(RAW);
    const adopt = JSON.parse(json).changes.find((c: any) => c.id === 'link:fv0');
    expect(adopt.attributes.find((a: any) => a.name === 'mark').before).toBe(
      'line1\nline2 \x1b[31mred\x1b[0m "q" \\ \ufffd\ufffd',
    );
  });

  it("a link marked as nethost's whose name holds an ESC: deleted, and its name printed escaped everywhere", () => {
    const live = oddLive((raw) => {
      raw.links.find((l) => l.ifname === 'fv\x1b1')!.ifalias = 'nethost';
    });
    const p = plan(desired('version: 1\n'), live);
    expect(p.operations.map((o) => o.args)).toEqual([['link', 'del', 'dev', 'fv\x1b1']]);
    const human = renderPlan(p, { color: true }); // colour codes are nethost's own; the name's ESC is not raw
    expect(human).toContain('veth fv\\x1b1');
    expect(human.replace(/\x1b\[\d+m/g, '')).not.toMatch(RAW);
    expect(renderDrift(p)).toBe('drift: veth fv\\x1b1: not in the file\n');
    const script = renderScript(p);
    expect(script).not.toMatch(RAW);
    expect(script).toContain(`ip -n ns-odd link del dev "$(printf 'fv\\0331')"`);
    expect(JSON.parse(toJson(planJson(p))).operations[0].command).toEqual([
      'ip',
      '-n',
      'ns-odd',
      'link',
      'del',
      'dev',
      'fv\x1b1',
    ]);
  });
});

describe('shell quoting in --script', () => {
  it('every argument reads back as itself through sh, control characters included, none printed raw', () => {
    for (const a of ['plain', 'a b', "it's", 'fv\x1b1', "x\x01%y\\z'\u009b", '\x7f', '50%']) {
      const q = shellQuote(a);
      expect(q).not.toMatch(RAW);
      expect(execFileSync('sh', ['-c', `printf '%s' ${q}`]).toString('utf8')).toBe(a);
    }
  });
});

describe('errors and diagnostics', () => {
  const d = (message: string, hint?: string): Diagnostic => ({
    severity: 'error',
    message,
    hint,
    source: { file: 'f\x1b.yaml', line: 3, col: 4 },
  });

  it("a diagnostic is printed with control characters escaped, the hint's own line breaks kept", () => {
    const text = formatDiagnostic(d('unknown key "\x1b[2J"', 'write:\n  br0: {kind: bridge}\x07'));
    expect(text).toBe(
      'f\\x1b.yaml:3:4: error: unknown key "\\x1b[2J"\n    hint: write:\n            br0: {kind: bridge}\\x07',
    );
  });

  it('an error sentence from the kernel (stderr) is printed escaped, its line breaks kept', () => {
    const text = errorText(new NethostError('operation 1 of 2 failed: Error: "fv\x1b1": bad\nprevious state restored'));
    expect(text).toBe('nethost: operation 1 of 2 failed: Error: "fv\\x1b1": bad\nprevious state restored\n');
  });

  it(`at most ${MAX_PRINTED_DIAGNOSTICS} diagnostics are printed, then how many more there are; JSON says how many in all`, () => {
    const lines = [
      'version: 1',
      'interfaces:',
      ...Array.from({ length: 120 }, (_, i) => `  br${i}: {kind: bridge, stpp: 1}`),
    ];
    const r = load(lines.join('\n') + '\n');
    expect(r.diagnostics).toHaveLength(120);
    const e = new NethostError('test.yaml is not valid', r.diagnostics);
    const text = errorText(e).trimEnd().split('\n');
    expect(text.filter((l) => /^test\.yaml:\d+:\d+: error: /.test(l))).toHaveLength(MAX_PRINTED_DIAGNOSTICS);
    expect(text[text.length - 1]).toBe('… and 70 more errors');
    expect(text[text.length - 3]).toMatch(/^test\.yaml:52:/); // the first 50, in line order
    const json = errorJson(e);
    expect(json.diagnostics).toHaveLength(MAX_PRINTED_DIAGNOSTICS);
    expect(json.diagnostics_total).toBe(120);
    expect(json.diagnostics[0]).toMatchObject({ line: 3, message: 'unknown key "stpp"' });
  });

  it('within the cap nothing is left out, and no "more" line is printed', () => {
    const e = new NethostError('x', [d('a'), d('b')]);
    expect(errorText(e).trimEnd().split('\n')).toHaveLength(3); // the sentence and both diagnostics (no hints)
    expect(errorText(e)).not.toMatch(/more/);
    expect(errorJson(e).diagnostics_total).toBe(2);
  });

  it('JSON output escapes DEL and C1 controls too (JSON.stringify leaves them raw)', () => {
    expect(JSON.stringify('\x7f\x9b')).toMatch(/[\x7f\x9b]/);
    const out = toJson({ v: '\x7f\x9b\x1b' });
    expect(out).not.toMatch(RAW);
    expect(JSON.parse(out)).toEqual({ v: '\x7f\x9b\x1b' });
  });
});

describe('--netns: only a name `ip netns add` could have made', () => {
  it.each([
    ['', /is empty \(an unset shell variable\?\)/],
    ['a/b', /contains '\/'/],
    ['.', /is not a namespace name/],
    ['..', /is not a namespace name/],
    ['lab\x1b1', /holds a control character or NUL/],
    ['lab\x00', /holds a control character or NUL/],
    ['n'.repeat(256), /is longer than 255 bytes/],
  ])('%j is refused with a sentence', (name, why) => {
    expect(netnsProblem(name)).toMatch(why);
    expect(() => checkNetns(name, '--netns')).toThrow(NethostError);
    expect(() => checkNetns(name, '--netns')).toThrow(
      new RegExp(`^--netns ${quote(name).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} `),
    );
  });
  it.each(['lab1', 'nht-x.y_z', 'n'.repeat(255), 'ünï', '-dash'])('%j is taken', (name) => {
    expect(netnsProblem(name)).toBeUndefined();
    expect(() => checkNetns(name)).not.toThrow();
  });
  it('absent means the current namespace', () => {
    expect(() => checkNetns(undefined)).not.toThrow();
  });
});

describe('util/text', () => {
  it('printable escapes C0, DEL and C1, and keeps newlines only when asked', () => {
    expect(printable('a\x00b\x1b[1m\x7f\x9b\tc\nd')).toBe('a\\0b\\x1b[1m\\x7f\\x9b\\tc\\nd');
    expect(printable('a\nb\r', true)).toBe('a\nb\\r');
    expect(printable('plain ü 😀')).toBe('plain ü 😀');
  });
  it('quote escapes quotes and backslashes, and cuts long text', () => {
    expect(quote('say "hi" \\ \x01')).toBe('"say \\"hi\\" \\\\ \\x01"');
    expect(quote('x'.repeat(100))).toBe(`"${'x'.repeat(64)}…"`);
    expect([quote(5), quote(null), quote([1]), quote({})]).toEqual(['5', 'null', 'a list', 'a mapping']);
  });
  it('describeValue says what a value is', () => {
    expect([
      describeValue('1500'),
      describeValue(5),
      describeValue(true),
      describeValue(null),
      describeValue(Infinity),
      describeValue(NaN),
    ]).toEqual(['a string "1500"', 'the number 5', 'the boolean true', 'an empty value (null)', '.inf', '.nan']);
  });
});
