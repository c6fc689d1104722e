// util/ip-json: `ip -j -batch` output read whatever bytes a foreign object holds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanJsonValues, splitIpBatch } from '../../src/backends/ip/json.js';
import { NethostError } from '../../src/model.js';
import { HOST } from './fixtures.js';

// Real output (test/fixtures/odd-bytes/capture.sh), decoded as src/exec/run.ts decodes it: bytes
// that are not UTF-8 become U+FFFD.
const ODD = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'odd-bytes', 'batch.out')).toString('utf8');
const ODD_ALIAS = 'line1\nline2 \x1b[31mred\x1b[0m "q" \\ \ufffd\ufffd';

const linksOf = (results: unknown[][]) => new Map((results[0] as any[]).map((l) => [l.ifname, l]));

describe('real output with raw control characters inside strings', () => {
  it('is read: every link, aliases and names exactly as the kernel holds them', () => {
    expect(() =>
      ODD.split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l)),
    ).toThrow(SyntaxError); // as read.ts did
    const results = splitIpBatch(ODD, 2);
    const links = linksOf(results);
    expect([...links.keys()].sort()).toEqual(['fb0', 'fv0', 'fv\x1b1', 'lo'].sort());
    expect(links.get('fb0').ifalias).toBe('a\x01b');
    expect(links.get('fv0').ifalias).toBe(ODD_ALIAS);
    expect(links.get('fv0').link).toBe('fv\x1b1');
    expect(links.get('fb0').linkinfo.info_kind).toBe('bridge');
    expect(Array.isArray(results[1])).toBe(true);
  });

  it('a raw newline inside a string (iproute2 6.1 escapes it; the reader must not depend on that)', () => {
    const raw = ODD.replace('line1\\nline2', 'line1\nline2');
    expect(raw).not.toBe(ODD);
    const results = splitIpBatch(raw, 2);
    expect(linksOf(results).get('fv0').ifalias).toBe(ODD_ALIAS);
    expect(results).toEqual(splitIpBatch(ODD, 2));
  });

  it('every control character, raw in a string, comes back as itself', () => {
    const all = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).join('');
    const text = `[{"ifname":"x","ifalias":"${all.replace(/["\\]/g, '')}"}]\n[]\n`;
    expect(splitIpBatch(text, 2)).toEqual([[{ ifname: 'x', ifalias: all }], []]);
  });
});

describe('strings the scanner must not misread', () => {
  it('escaped quotes and backslashes, brackets inside strings, unicode escapes and non-ASCII text', () => {
    const text = String.raw`[{"a":"say \"]}[\" \\","b":"\\\"","c":"\u00e9\u0001","d":"üñ 😀 \t"}]` + '\n[{"e":"]"}]\n';
    const want = [[{ a: 'say "]}[" \\', b: '\\"', c: 'é\x01', d: 'üñ 😀 \t' }], [{ e: ']' }]];
    expect(splitIpBatch(text, 2)).toEqual(want);
    expect(scanJsonValues(text)).toEqual(want);
    // With a raw control character elsewhere, the scanner reads the same strings.
    expect(scanJsonValues(text.replace('"e":"]"', '"e":"]\x02"'))).toEqual([want[0], [{ e: ']\x02' }]]);
  });

  it('splits at top-level value boundaries, not at newlines', () => {
    expect(scanJsonValues('[1,\n2][]  \n{"a":\n[3]}')).toEqual([[1, 2], [], { a: [3] }]);
  });

  it('bytes that are not UTF-8 arrive as U+FFFD and are read as text', () => {
    const bytes = Buffer.concat([Buffer.from('[{"ifalias":"x'), Buffer.from([0xff, 0xc3, 0x01]), Buffer.from('"}]\n')]);
    expect(splitIpBatch(bytes.toString('utf8'), 1)).toEqual([[{ ifalias: 'x\ufffd\ufffd\x01' }]]);
  });
});

describe('the usual output', () => {
  it('both paths read the captured dumps as JSON.parse reads each file', () => {
    const files = ['address.json', 'neigh-all.json', 'route4.json', 'rule4.json'].map((f) =>
      readFileSync(join(HOST, 'rich', f), 'utf8'),
    );
    const want = files.map((t) => JSON.parse(t));
    const batch = files.map((t) => JSON.stringify(JSON.parse(t))).join('\n') + '\n';
    expect(splitIpBatch(batch, 4)).toEqual(want);
    expect(scanJsonValues(batch)).toEqual(want);
  });
});

describe('output that is not what ip prints: an error naming it, never a SyntaxError', () => {
  const fails = (text: string, expected: number, message: RegExp) => {
    let err: unknown;
    try {
      splitIpBatch(text, expected);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NethostError);
    expect((err as Error).message).toMatch(message);
  };
  it('too few or too many results', () => {
    fails('[]\n', 2, /1 results for 2 commands/);
    fails('[]\n[]\n[]', 2, /3 results for 2 commands/);
    fails('["\x01"]\n[]\n[]', 2, /3 results for 2 commands/);
  });
  it('output cut short, with or without raw control characters', () => {
    fails('[{"a":"b"}]\n[{"a":', 2, /unexpected output from ip -batch/);
    fails('[{"a":"b\x01', 1, /a string that never ends/);
    fails('[{"a":"b\x01"}', 1, /never ends/);
  });
  it('text outside any value', () => {
    fails('Error: something\n[\x01]', 1, /outside any JSON value/);
  });
});
