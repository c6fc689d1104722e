// config/yaml-subset: the fast path either gives up or gives exactly what js-yaml gives (data, and
// the start of every node and key). Checked on every example, on the files the benchmarks use, on
// hand-written edge cases, and on generated documents with random damage done to them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSubset } from '../../src/config/yaml-subset.js';
import { parseGeneral, parseYaml } from '../../src/config/yaml.js';
// @ts-expect-error plain JS module
import { nethostYaml } from '../../bench/gen.mjs';

const pos = () => ({ file: 'x', line: 1, col: 1 });

/** The fast path's answer, checked against js-yaml's: returns whether the fast path took the text. */
function agrees(text: string): boolean {
  const fast = parseSubset(text);
  if (!fast) return false;
  const general = parseGeneral(text, 'x.yaml', pos);
  if (!general.ok) throw new Error(`the fast path read text js-yaml refuses (${general.error.message}):\n${text}`);
  expect(fast.data).toStrictEqual(general.data);
  expect(fast.root).toEqual(general.root);
  return true;
}

const examples = readdirSync('examples')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join('examples', f));
const fixtures = readdirSync('test/fixtures/host', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join('test/fixtures/host', d.name, 'nethost.yaml'))
  .filter((f) => existsSync(f));

describe('the files nethost users and benchmarks write take the fast path, with the same result', () => {
  it.each([...examples, ...fixtures])('%s', (f) => {
    expect(agrees(readFileSync(f, 'utf8'))).toBe(true);
  });
  it('the benchmark files', () => {
    expect(agrees(nethostYaml(20))).toBe(true);
    expect(agrees(nethostYaml(20, { changed: true }))).toBe(true);
  });
  it('parseYaml gives the fast path its positions', () => {
    const r = parseYaml(
      'version: 1\ninterfaces:\n  br0: {kind: bridge, mtu: 9000}\nroutes:\n  - to: default\n    via: 192.0.2.1\n',
      'f.yaml',
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.at(['interfaces', 'br0', 'mtu'])).toEqual({ file: 'f.yaml', line: 3, col: 28 });
    expect(r.at(['interfaces', 'br0'], true)).toEqual({ file: 'f.yaml', line: 3, col: 3 });
    expect(r.at(['routes', 0, 'via'])).toEqual({ file: 'f.yaml', line: 6, col: 10 });
  });
});

describe('hand-written cases', () => {
  const taken = [
    'a: 1\n',
    'a: 1',
    'a:  x   # c\n# only a comment\n\n   \nb: [1, two, 0x1f, 0o17, 1e3, .inf, -.Inf, .NaN, ~, null, Null, true, False]\n',
    "a: 'it''s'\nb: \"x y\"\nc: ['q', \"r\"]\n",
    'a:\n- 1\n- 2\nb: 3\n',
    'a:\n  - x: 1\n    y: [2]\n  - z\n',
    'a:\n  -\n    x: 1\n  -\n    - 2\n',
    'k: {to: 2001:db8:ff::/48, lladdr: 02:00:00:00:01:fe, m: 0x1/0xff}\n',
    'k: a,b]c{d}\n',
    'k: a#b\n',
    'key with spaces: v\n',
    'k  : v\n',
    'a: {}\nb: []\nc: {x: {y: [[], {}]}}\n',
    'a: -1\nb: -x\n',
    'a: é→ü\n',
    'yes: no\non: off\n',
  ];
  it.each(taken)('taken: %j', (t) => {
    expect(agrees(t)).toBe(true);
  });

  const declined = [
    '',
    '# nothing\n',
    '- a\n',
    '[a]\n',
    '---\na: 1\n',
    'a: 1\n---\nb: 2\n',
    'a: 1\n...\n',
    '%YAML 1.2\n---\na: 1\n',
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: |\n  text\n',
    'a: >\n  text\n',
    'a: x\n  continued\n',
    'a:\n',
    'a:\nb: 1\n',
    'a: 1\na: 2\n',
    'a: "esc\\n"\n',
    "a: 'multi\n  line'\n",
    'a: [1,\n  2]\n',
    'a: {b: 1,\n  c: 2}\n',
    'a: [1, 2,]\n',
    'a: {b}\n',
    'a: {b: }\n',
    'a: [b: 1]\n',
    'a: [2001:db8::]\n',
    '1: x\n',
    'true: x\n',
    '__proto__: x\n',
    '"a": 1\n',
    '? a\n: 1\n',
    'a:\tb\n',
    'a: 1\r\nb: 2\r\n',
    '\ufeffa: 1\n',
    'a: b: c\n',
    'a: 1\n  b: 2\n',
    'a:\n  b: 1\n c: 2\n',
    'a: - b\n',
    'a:\n  - - b\n',
    'a: "x"y\n',
    'a: [x]#c\n',
    '  a: 1\n',
  ];
  it.each(declined)('declined: %j', (t) => {
    expect(agrees(t)).toBe(false);
  });
});

// Documents from a random tree, written in random styles, then randomly damaged: whatever the fast
// path takes must be exactly what js-yaml makes of it.
const commonScalars = [
  'x',
  'br0',
  'bridge',
  '100',
  '192.0.2.1/24',
  '2001:db8::1/64',
  '02:00:00:00:01:fe',
  'default',
  'a b',
  'a#b',
  'net.ipv4.ip_forward',
  '0x1/0xff',
  'é→ü',
];
const scalarPool = [
  'x',
  'br0',
  'true',
  'True',
  'TRUE',
  'false',
  'null',
  '~',
  'NULL',
  '1',
  '-1',
  '+1',
  '0',
  '007',
  '0x1F',
  '0o17',
  '1.5',
  '1e3',
  '.inf',
  '-.INF',
  '.nan',
  '2001:db8::1/64',
  '02:00:00:00:01:fe',
  '192.0.2.1/24',
  'a b',
  'a#b',
  'a,b',
  '-x',
  'x:y',
  "it's",
  'a: b',
  'yes',
  'on',
  '0b101',
  '1_000',
  '12:30',
  'é',
  '',
  ' lead',
  'trail ',
  'x]',
  '{y',
  '#z',
  '&a',
  '*b',
  '!c',
  '|',
  '>',
  '%',
  '@',
  '?',
  ':',
  '-',
  '- x',
  "'",
  '"',
];
type Tree = string | Tree[] | { [k: string]: Tree };
const keyArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'a',
      'b',
      'kind',
      'to',
      'via',
      'br0',
      'net.ipv4.ip_forward',
      'key with space',
      'x-y',
      'a:b',
      'a[0]',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('1', 'true', 'null', '__proto__', '-', '? k', 'k #', '"q"') },
);
const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: fc.constantFrom(...commonScalars) },
    { weight: 1, arbitrary: fc.constantFrom(...scalarPool) },
    { weight: 1, arbitrary: fc.array(tie('tree'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(keyArb, tie('tree'), { maxKeys: 4 }) },
  ),
})).tree;

interface Style {
  quote: number;
  flowDepth: number;
  indent: number;
  compactSeq: boolean;
  comments: boolean;
}

function scalarText(v: string, q: number): string {
  if (q % 3 === 1) return `'${v.replace(/'/g, "''")}'`;
  if (q % 3 === 2) return JSON.stringify(v);
  return v;
}

function flow(t: Tree, s: Style, salt: number): string {
  if (typeof t === 'string') return scalarText(t, s.quote + salt);
  if (Array.isArray(t)) return `[${t.map((x, i) => flow(x, s, salt + i)).join(', ')}]`;
  return `{${Object.entries(t)
    .map(([k, v], i) => `${k}: ${flow(v, s, salt + i)}`)
    .join(', ')}}`;
}

function block(t: Tree, s: Style, depth: number, col: number, salt: number): string[] {
  const pad = ' '.repeat(col);
  const comment = s.comments && salt % 4 === 0 ? '  # note' : '';
  if (typeof t === 'string' || depth >= s.flowDepth || (Array.isArray(t) ? !t.length : !Object.keys(t).length))
    return [flow(t, s, salt) + comment];
  const lines: string[] = [];
  if (Array.isArray(t)) {
    t.forEach((x, i) => {
      const inner = block(x, s, depth + 1, col + 2, salt + i);
      if (typeof x !== 'string' && !Array.isArray(x) && Object.keys(x).length && depth + 1 < s.flowDepth)
        lines.push(`${pad}- ${inner[0].trimStart()}`, ...inner.slice(1));
      else if (inner.length === 1 && !inner[0].startsWith(' ')) lines.push(`${pad}- ${inner[0]}`);
      else lines.push(`${pad}-`, ...inner);
    });
    return lines;
  }
  Object.entries(t).forEach(([k, v], i) => {
    const nestedSeq = Array.isArray(v) && v.length && depth + 1 < s.flowDepth;
    const inner = block(v, s, depth + 1, nestedSeq && s.compactSeq ? col : col + s.indent, salt + i);
    if (inner.length === 1 && !inner[0].startsWith(' ') && !inner[0].startsWith('-'))
      lines.push(`${pad}${k}: ${inner[0]}`);
    else lines.push(`${pad}${k}:${s.comments && i % 2 ? ' # c' : ''}`, ...inner);
  });
  return lines;
}

const styleArb = fc.record({
  quote: fc.nat({ max: 5 }),
  flowDepth: fc.integer({ min: 1, max: 4 }),
  indent: fc.integer({ min: 1, max: 4 }),
  compactSeq: fc.boolean(),
  comments: fc.boolean(),
});
const rootArb = fc.dictionary(keyArb, treeArb, { minKeys: 1, maxKeys: 5 });
const damageArb = fc.oneof(
  fc.constant([] as [number, string][]),
  fc.array(
    fc.tuple(
      fc.nat(),
      fc.constantFrom(
        ' ',
        '\n',
        ':',
        '-',
        '#',
        ',',
        '[',
        ']',
        '{',
        '}',
        "'",
        '"',
        '&',
        '*',
        '!',
        '?',
        '|',
        '\\',
        '  ',
        'x',
        '\n  ',
        '\n# c',
        '\n    # c',
        '\n\n',
        ' # c',
        '- ',
        ': ',
        '\n- ',
      ),
    ),
    { maxLength: 3 },
  ),
);

describe('generated documents', () => {
  it('whatever the fast path takes, it reads exactly as js-yaml does', () => {
    let taken = 0;
    let total = 0;
    fc.assert(
      fc.property(rootArb, styleArb, damageArb, (root, style, damage) => {
        let text = block(root, style, 0, 0, 0).join('\n') + '\n';
        for (const [at, what] of damage) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + what + text.slice(i);
        }
        total++;
        const ok = agrees(text);
        if (ok) taken++;
      }),
      { numRuns: Number(process.env.YAML_RUNS ?? 3000) },
    );
    // The generator must exercise the fast path, not only its refusals.
    expect(taken).toBeGreaterThan(total / 4);
  });
});
