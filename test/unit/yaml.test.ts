// config/yaml: one parse gives the data and where each path was written.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse as referenceParse, stringify } from 'yaml';
import { parseYaml } from '../../src/config/yaml.js';

const F = 'host.yaml';
const ok = (text: string) => {
  const r = parseYaml(text, F);
  if (!r.ok) throw new Error(`unexpected YAML error: ${r.error.message}`);
  return r;
};

describe('positions', () => {
  const text = [
    'version: 1', //                                   1
    'interfaces:', //                                  2
    '  br0:', //                                       3
    '    kind: bridge', //                             4
    '    addresses: [\'192.0.2.1/24\', "2001:db8::1/64"]', // 5
    '  vx0: {kind: vxlan, vni: 7, dev: &up eth0}', //  6
    'routes:', //                                      7
    '  - to: 198.51.100.0/24', //                      8
    '    dev: *up', //                                 9
    '  - !!map {to: 203.0.113.0/24}', //              10
    '',
  ].join('\n');

  it('block keys and values', () => {
    const { at } = ok(text);
    expect(at(['interfaces', 'br0'], true)).toEqual({ file: F, line: 3, col: 3 });
    expect(at(['interfaces', 'br0'])).toEqual({ file: F, line: 4, col: 5 });
    expect(at(['interfaces', 'br0', 'kind'])).toEqual({ file: F, line: 4, col: 11 });
  });
  it('quoted scalars start at their quote', () => {
    const { at } = ok(text);
    expect(at(['interfaces', 'br0', 'addresses', 0])).toEqual({ file: F, line: 5, col: 17 });
    expect(at(['interfaces', 'br0', 'addresses', 1])).toEqual({ file: F, line: 5, col: 33 });
  });
  it('flow mappings, anchors and aliases', () => {
    const { at, data } = ok(text);
    expect(at(['interfaces', 'vx0', 'vni'])).toEqual({ file: F, line: 6, col: 27 });
    expect(at(['interfaces', 'vx0', 'dev'])).toEqual({ file: F, line: 6, col: 35 });
    expect(at(['routes', 0, 'dev'])).toEqual({ file: F, line: 9, col: 10 });
    expect((data as any).routes[0].dev).toBe('eth0');
  });
  it('sequence items and tagged nodes', () => {
    const { at } = ok(text);
    expect(at(['routes', 0])).toEqual({ file: F, line: 8, col: 5 });
    expect(at(['routes', 1])).toEqual({ file: F, line: 10, col: 5 });
    expect(at(['routes', 1, 'to'])).toEqual({ file: F, line: 10, col: 16 });
  });
  it('a path that goes past the data stops at the deepest node that exists', () => {
    const { at } = ok(text);
    expect(at(['interfaces', 'br0', 'mtu'])).toEqual({ file: F, line: 4, col: 5 });
    expect(at(['routes', 5])).toEqual({ file: F, line: 8, col: 3 });
  });
});

describe('YAML 1.2 core schema, as the spec reads it', () => {
  it('yes/no and dates stay strings; octal and null are typed', () => {
    expect(ok('a: yes\nb: 2001-12-14\nc: 0o17\nd: ~\ne: "1"\n').data).toEqual({
      a: 'yes',
      b: '2001-12-14',
      c: 15,
      d: null,
      e: '1',
    });
  });
  it('an empty file is null data, not an error', () => {
    expect(ok('').data).toBeNull();
    expect(ok('# only a comment\n').data).toBeNull();
  });
});

describe('errors', () => {
  it('a duplicate key is an error at the second key', () => {
    const r = parseYaml('a: 1\nb:\n  c: 2\n  c: 3\n', F);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.source).toMatchObject({ line: 4, col: 3 });
  });
  it('bad indentation names its line', () => {
    const r = parseYaml('a:\n  b: 1\n c: 2\n', F);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.source.line).toBe(3);
  });
  it('two documents are refused, at the second', () => {
    const r = parseYaml('a: 1\n---\nb: 2\n', F);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatchObject({
        message: expect.stringMatching(/more than one YAML document/),
        source: { line: 3 },
      });
  });
  it('an alias bomb is refused', () => {
    const lines = ['a0: &a0 [x, x]'];
    for (let i = 1; i <= 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    expect(parseYaml(lines.join('\n') + '\n', F).ok).toBe(false);
  });
});

describe('agrees with an independent parser', () => {
  // Keys and scalars a network file holds: names, numbers, booleans, addresses, nulls.
  const scalar = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.stringMatching(/^[a-z0-9:./_-]{0,12}$/),
    fc.string({ maxLength: 8 }),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/), tie('node'), { maxKeys: 4 }),
    ),
  })).node;
  it('same data as the yaml package, in block and flow style, and every path has a position', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/), value, { maxKeys: 5 }),
        fc.boolean(),
        (doc, flow) => {
          const text = stringify(doc, flow ? { collectionStyle: 'flow' } : {});
          const r = ok(text);
          expect(r.data).toEqual(referenceParse(text));
          const walk = (v: unknown, path: (string | number)[]) => {
            if (path.length) expect(r.at(path)).toBeDefined();
            if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
            else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
          };
          walk(r.data, []);
        },
      ),
      { numRuns: 300 },
    );
  });
});
