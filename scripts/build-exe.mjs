// Builds dist/nethost: one self-contained executable (a Node single executable application, SEA):
// this node runtime, stripped, with a blob injected that holds scripts/sea-entry.cjs as its main
// script and, as assets, the CLI bundle (dist/nethost.cjs), its V8 code cache and package.json.
// Run by `npm run build:exe` after `npm run build`; its only inputs are dist/ and package.json.
//
// Why a code cache asset and not the SEA's own options (measured, bench/STARTUP.md): `useCodeCache`
// caches only what compiling the main script makes, not the functions a run compiles lazily (the
// cache `npm run build` writes after its warm-up covers a whole run), and `useSnapshot` would
// freeze at build time what the bundle's modules read from the environment as they load (DEBUG,
// colour on a terminal, NETHOST_TRACE).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'postject';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const out = join(dist, 'nethost');
// The fuse node looks for to know it carries a blob (node's SEA documentation).
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

for (const f of ['nethost.cjs', 'nethost.cjs.cache']) {
  if (!existsSync(join(dist, f))) {
    console.error(`build-exe: dist/${f} is missing: run npm run build first (npm run build:exe does)`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'nethost-sea-'));
try {
  const blob = join(work, 'sea.blob');
  // The entry reads the bundle back as Latin-1 (one byte, one character: no decoding); that gives
  // the very text bin/bundle.js reads as UTF-8 only if no character is above U+00FF.
  const source = readFileSync(join(dist, 'nethost.cjs'), 'utf8');
  const bytes = Buffer.from(source, 'latin1');
  if (bytes.toString('latin1') !== source)
    throw new Error('dist/nethost.cjs has characters above U+00FF: scripts/sea-entry.cjs cannot read it as Latin-1');
  const latin1 = join(work, 'nethost.cjs.latin1');
  writeFileSync(latin1, bytes);
  writeFileSync(
    join(work, 'sea-config.json'),
    JSON.stringify({
      main: join(root, 'scripts', 'sea-entry.cjs'),
      output: blob,
      disableExperimentalSEAWarning: true,
      // The entry is a few lines: its own compilation costs nothing worth caching.
      useCodeCache: false,
      useSnapshot: false,
      assets: {
        'nethost.cjs': latin1,
        'nethost.cjs.cache': join(dist, 'nethost.cjs.cache'),
        'package.json': join(root, 'package.json'),
      },
    }),
  );
  // The blob must be made by the runtime it goes into: that runtime is this very node.
  const made = spawnSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], {
    encoding: 'utf8',
  });
  if (made.status !== 0)
    throw new Error(`node --experimental-sea-config failed (exit ${made.status}):\n${made.stdout}${made.stderr}`);

  const exe = join(work, 'nethost');
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // Stripped before the injection: node finds its blob through the note postject adds, and strip
  // rewrites the file in a way that loses it (the executable then runs as plain node). Debian
  // packages ship stripped binaries (lintian: unstripped-binary-or-object, binary-has-unneeded-section).
  execFileSync('strip', ['--strip-all', '--remove-section=.comment', exe], { stdio: 'inherit' });
  // postject's ELF parser warns about every section name strip left without a string (12 of
  // them); they are harmless, so they are shown only if the injection fails.
  const warnings = [];
  const warn = console.warn;
  console.warn = (...a) => warnings.push(a.join(' '));
  try {
    await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: FUSE });
  } catch (e) {
    process.stderr.write(warnings.map((w) => `postject: ${w}\n`).join(''));
    throw e;
  } finally {
    console.warn = warn;
  }

  // The executable must answer as bin/run.js does, and take the code cache (else V8 silently
  // compiles the whole bundle on every run, and start-up doubles).
  const check = spawnSync(exe, ['--version'], { encoding: 'utf8', env: { ...process.env, NETHOST_SEA_CHECK: '1' } });
  const want = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), '--version'], { encoding: 'utf8' });
  if (check.status !== 0 || check.stdout !== want.stdout || !check.stderr.includes('code cache accepted')) {
    throw new Error(
      `the executable does not run as bin/run.js: exit ${check.status}, stdout ${JSON.stringify(check.stdout)} (want ${JSON.stringify(want.stdout)}), stderr ${JSON.stringify(check.stderr)}`,
    );
  }
  renameSync(exe, out);
  console.log(`build-exe: ${out} (${(readFileSync(out).length / 2 ** 20).toFixed(1)} MiB): ${check.stdout.trim()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
