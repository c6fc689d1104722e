// What `npm pack` ships (package.json "files" and "man"): the CLI (bin/, the bundle with its code
// cache and source map), the man pages and the schema; never the single executable (dist/nethost)
// nor the Debian package (dist/*.deb), which are built next to the bundle.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The paths `npm pack --dry-run --json` would put in the tarball of the tree at `dir`. */
function packed(dir: string): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const [report] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  return report!.files.map((f) => f.path).sort();
}

describe('npm pack', () => {
  it('ships bin, the bundle with its cache and map, the man pages and the schema; not the executable, not a .deb', () => {
    // A copy of the tree with every artefact a build can leave in dist/, so that each rule is
    // exercised whatever this checkout has built.
    const dir = mkdtempSync(join(tmpdir(), 'nethost-pack-'));
    try {
      for (const p of ['package.json', 'README.md', 'bin', 'man', 'schema'])
        cpSync(join(ROOT, p), join(dir, p), { recursive: true });
      mkdirSync(join(dir, 'dist'));
      for (const f of [
        'nethost.cjs',
        'nethost.cjs.cache',
        'nethost.cjs.map',
        'nethost',
        'nethost_0.1.0_amd64.deb',
        'schema.js',
      ])
        writeFileSync(join(dir, 'dist', f), 'x');
      expect(packed(dir)).toEqual([
        'README.md',
        'bin/bundle.js',
        'bin/run.js',
        'dist/nethost.cjs',
        'dist/nethost.cjs.cache',
        'dist/nethost.cjs.map',
        'man/nethost.1',
        'man/nethost.yaml.5',
        'package.json',
        'schema/nethost.schema.json',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in this checkout too: the man pages are there, no executable, no .deb', () => {
    const files = packed(ROOT);
    expect(files).toEqual(
      expect.arrayContaining(['man/nethost.1', 'man/nethost.yaml.5', 'bin/run.js', 'schema/nethost.schema.json']),
    );
    expect(files.filter((f) => f === 'dist/nethost' || f.endsWith('.deb'))).toEqual([]);
  });

  it('npm install -g puts the man pages in place (package.json "man")', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.man).toEqual(['./man/nethost.1', './man/nethost.yaml.5']);
    expect(pkg.bin).toEqual({ nethost: './bin/run.js' });
  });
});
