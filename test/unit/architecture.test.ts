// The layers point one way (ARCHITECTURE.md): util and model ← exec ← backends ← kinds ← registry ←
// engine (config, live, diff, plan, render, engine) ← commands. This test reads every import of
// src/ and commands/ (type imports and dynamic imports counted) and fails on an import that points
// up a layer, and on any cycle between files. It also holds the seams: generic code names no
// registered kind, and a backend never imports a kind.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { findCycle } from '../../src/plan/graph.js';
import { ALL_KINDS } from '../../src/registry/kinds.js';
import { importsOf, layerOf, ROOT, SOURCES } from '../helpers/imports.js';

describe('architecture: one direction through the code', () => {
  const graph = new Map(SOURCES.map((f) => [f, importsOf(f)]));

  it('every import resolves to a source file', () => {
    const missing = [...graph].flatMap(([f, is]) => is.filter((i) => !graph.has(i)).map((i) => `${f} → ${i}`));
    expect(missing).toEqual([]);
  });

  it('no import points up a layer', () => {
    const up = [...graph].flatMap(([f, is]) =>
      is
        .filter((i) => layerOf(i).rank > layerOf(f).rank)
        .map((i) => `${f} (${layerOf(f).name}) → ${i} (${layerOf(i).name})`),
    );
    expect(up).toEqual([]);
  });

  it('no cycle between files, type imports counted', () => {
    const cycle = findCycle([...graph].map(([id, after]) => ({ id, after })));
    expect(cycle ?? []).toEqual([]);
  });

  it('a backend imports no kind, and no other backend', () => {
    const wrong = [...graph].flatMap(([f, is]) => {
      const m = /^src\/backends\/([^/]+)\//.exec(f);
      if (!m) return [];
      return is
        .filter((i) => /^src\/backends\/[^/]+\//.test(i) && !i.startsWith(`src/backends/${m[1]}/`))
        .map((i) => `${f} → ${i}`);
    });
    expect(wrong).toEqual([]);
  });

  it('an index.ts holds wiring only (imports and exports)', () => {
    const heavy = SOURCES.filter((f) => f.endsWith('/index.ts')).filter((f) => {
      const code = readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .filter(
          (l) => l.trim() && !/^\s*(\/\/|\/\*|\*|import |export \{|export \* |export const [A-Z_]+ = \{)/.test(l),
        );
      return code.length > 3;
    });
    expect(heavy).toEqual([]);
  });

  it('the test itself fails on an upward import and on a cycle', () => {
    expect(layerOf('src/kinds/x.ts').rank).toBeGreaterThan(layerOf('src/backends/y/z.ts').rank);
    expect(
      findCycle([
        { id: 'a', after: ['b'] },
        { id: 'b', after: ['a'] },
      ]),
    ).toEqual(['a', 'b', 'a']);
  });

  it('generic code names no registered kind: kinds own their special cases through hooks', () => {
    const names = new Set(ALL_KINDS.map((k) => k.name));
    const found: string[] = [];
    for (const f of SOURCES.filter((f) => GENERIC.test(f))) {
      const source = ts.createSourceFile(f, readFileSync(join(ROOT, f), 'utf8'), ts.ScriptTarget.ES2022, true);
      const visit = (n: ts.Node) => {
        if (
          (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) &&
          names.has(n.text) &&
          !TOOL_WORDS[f]?.includes(n.text)
        ) {
          found.push(`${f}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}: '${n.text}'`);
        }
        ts.forEachChild(n, visit);
      };
      visit(source);
    }
    expect(found).toEqual([]);
  });

  it('the scan sees a kind named in generic code', () => {
    const names = new Set(ALL_KINDS.map((k) => k.name));
    const source = ts.createSourceFile(
      'x.ts',
      "if (r.kind === 'bridge') x(); // 'bond' in a comment is not code",
      ts.ScriptTarget.ES2022,
      true,
    );
    const seen: string[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isStringLiteral(n) && names.has(n.text)) seen.push(n.text);
      ts.forEachChild(n, visit);
    };
    visit(source);
    expect(seen).toEqual(['bridge']);
  });
});

/** The code that must not know any kind by name. */
const GENERIC = /^src\/(config|diff|plan|render|live|engine|backends|registry)\//;

/** In a backend, a literal equal to a kind's name that is the tool's own word, not the kind. */
const TOOL_WORDS: Record<string, string[]> = {
  'src/backends/nft/ruleset.ts': ['bridge'], // nft's table family
  'src/backends/nft/view.ts': ['bridge', 'rule'], // nft's table family; nft -j's object type
  'src/backends/nft/backend.ts': ['bridge', 'sysctl'], // nft's table family; the sysctl program
  'src/backends/sysctl/backend.ts': ['sysctl'], // the sysctl program, which names this backend
};
