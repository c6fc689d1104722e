// dist/nethost, the single executable (scripts/build-exe.mjs): it answers as bin/run.js does, runs
// its commands with no node anywhere it could look, and starts from the bundle's V8 code cache.
// Built here (npm run build:exe) when missing, never skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EXE = join(ROOT, 'dist', 'nethost');
const EXAMPLE = join(ROOT, 'examples', 'bridge-vm-taps.yaml');
const version: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

// An empty directory as the whole PATH: the executable can find no node, and no other program.
const emptyPath = mkdtempSync(join(tmpdir(), 'nethost-exe-path-'));
const bare = { PATH: emptyPath, LC_ALL: 'C', HOME: tmpdir() };
afterAll(() => rmSync(emptyPath, { recursive: true, force: true }));

const exe = (args: string[], env: Record<string, string> = bare) =>
  spawnSync(EXE, args, { cwd: emptyPath, env, encoding: 'utf8' });
const script = (args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd: emptyPath, encoding: 'utf8' });

beforeAll(() => {
  if (existsSync(EXE)) return;
  const r = spawnSync('npm', ['run', 'build:exe'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, `npm run build:exe failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  expect(existsSync(EXE), 'npm run build:exe made no dist/nethost').toBe(true);
}, 300_000);

describe('dist/nethost, the single executable', () => {
  it('--version prints what bin/run.js prints: nethost/VERSION platform node-VERSION', () => {
    const r = exe(['--version']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toBe(`nethost/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
    expect(r.stdout).toBe(script(['--version']).stdout);
  });

  it('validate runs with PATH holding nothing at all, and says what bin/run.js says', () => {
    expect(spawnSync('node', ['-e', '0'], { env: bare }).error?.message, 'node is out of reach').toMatch(/ENOENT/);
    for (const args of [
      ['validate', EXAMPLE],
      ['validate', '--json', EXAMPLE],
    ]) {
      const r = exe(args);
      const want = script(args);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        status: 0,
        stdout: want.stdout,
        stderr: '',
      });
    }
    expect(exe(['validate', EXAMPLE]).stdout).toMatch(/: valid \(\d+ resources\)/);
  });

  it("oclif works from inside the executable: help, a command's help, an unknown command, a bad file", () => {
    const help = exe(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/apply[\s\S]*drift-check[\s\S]*plan[\s\S]*validate/);
    expect(help.stdout).toBe(script(['--help']).stdout);
    for (const c of ['plan', 'apply', 'drift-check', 'validate']) {
      const r = exe([c, '--help']);
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: script([c, '--help']).stdout });
    }
    for (const args of [['no-such-command'], ['validate', join(emptyPath, 'missing.yaml')]]) {
      const r = exe(args);
      const want = script(args);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        status: want.status,
        stdout: want.stdout,
        stderr: want.stderr,
      });
      expect(r.status).not.toBe(0);
    }
  });

  it('starts from the code cache the build wrote (V8 would otherwise compile the whole bundle on every run)', () => {
    const r = exe(['--version'], { ...bare, NETHOST_SEA_CHECK: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('nethost: code cache accepted\n');
  });
});
