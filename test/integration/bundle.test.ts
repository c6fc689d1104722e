// bin/bundle.js: the CLI runs from one bundle compiled out of V8's code cache. The cache the build
// writes must be taken; a cache that does not match its bundle must be ignored, never trusted.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'bridge-vm-taps.yaml');

/** Loads the bundle of the tree at `root` in a fresh node, the way bin/run.js does. */
function cacheStatus(root: string): { rejected: boolean | undefined; commands: string[] } {
  const code = `const { loadBundle } = await import(${JSON.stringify(join(root, 'bin', 'bundle.js'))});
    const b = loadBundle();
    console.log(JSON.stringify({ rejected: b.cacheRejected, commands: Object.keys(b.exports.COMMANDS) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** A copy of the built tree (bin, dist, package.json) to spoil. */
function copyTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nethost-bundle-'));
  for (const p of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const validate = (root: string) =>
  spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'validate', '--json', EXAMPLE], { encoding: 'utf8' });

describe('the bundle and its code cache', () => {
  it('the build writes a cache that V8 accepts for its bundle', () => {
    expect(cacheStatus(ROOT)).toEqual({ rejected: false, commands: ['validate', 'plan', 'apply', 'drift-check'] });
  });

  it('a cache that does not match the bundle is rejected, and the command still runs as before', () => {
    const dir = copyTree();
    try {
      const good = validate(ROOT);
      expect(good.status).toBe(0);
      // A cache made for other source text (the bundle with one byte changed): V8 must refuse it.
      const other = copyTree();
      writeFileSync(
        join(other, 'dist', 'nethost.cjs'),
        `${'\n'}${readFileSync(join(ROOT, 'dist', 'nethost.cjs'), 'utf8')}`,
      );
      cpSync(join(ROOT, 'dist', 'nethost.cjs.cache'), join(other, 'dist', 'nethost.cjs.cache'));
      expect(cacheStatus(other).rejected).toBe(true);
      const r = validate(other);
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: good.stdout });
      rmSync(other, { recursive: true, force: true });
      // Garbage in place of a cache: same.
      writeFileSync(join(dir, 'dist', 'nethost.cjs.cache'), Buffer.alloc(4096, 0x5a));
      expect(cacheStatus(dir).rejected).toBe(true);
      expect(validate(dir).stdout).toBe(good.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a run never starts ICU collation (build.mjs rewrites oclif command sort): localeCompare made to throw changes nothing', () => {
    const trap =
      'data:text/javascript,String.prototype.localeCompare=function(){throw new Error("localeCompare called")}';
    const plain = validate(ROOT);
    const trapped = spawnSync(
      process.execPath,
      ['--import', trap, join(ROOT, 'bin', 'run.js'), 'validate', '--json', EXAMPLE],
      { encoding: 'utf8' },
    );
    expect({ status: trapped.status, stdout: trapped.stdout, stderr: trapped.stderr }).toEqual({
      status: 0,
      stdout: plain.stdout,
      stderr: '',
    });
    const help = spawnSync(process.execPath, ['--import', trap, join(ROOT, 'bin', 'run.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/apply[\s\S]*drift-check[\s\S]*plan[\s\S]*validate/);
  });

  it('without a build, says what to run', () => {
    const dir = copyTree();
    try {
      rmSync(join(dir, 'dist'), { recursive: true });
      const r = validate(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/dist\/nethost\.cjs is missing: build it first \(npm ci && npm run build\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
