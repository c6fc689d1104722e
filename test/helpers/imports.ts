// The source files of src/ and commands/ and their imports, as the architecture test reads them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** Layer of a file, by its path: lower numbers are lower layers. */
export const LAYERS: [RegExp, number, string][] = [
  [/^src\/(util\/|model\.ts$)/, 0, 'util, model'],
  [/^src\/exec\//, 1, 'exec'],
  [/^src\/backends\//, 2, 'backends'],
  [/^src\/kinds\//, 3, 'kinds'],
  [/^src\/registry\//, 4, 'registry'],
  [/^src\/(config|live|diff|plan|render|engine)\//, 5, 'engine'],
  [/^commands\//, 6, 'commands'],
];

export function layerOf(file: string): { rank: number; name: string } {
  const l = LAYERS.find(([re]) => re.test(file));
  if (!l) throw new Error(`${file} is in no layer: add it to LAYERS (and ARCHITECTURE.md)`);
  return { rank: l[1], name: l[2] };
}

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((n) => {
    const p = `${dir}/${n}`;
    return statSync(join(ROOT, p)).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of a file (static, type-only, re-export, dynamic), as repository paths. */
export function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((i) => i.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, '.ts'));
}

export const SOURCES = [...walk('src'), ...walk('commands')].sort();
