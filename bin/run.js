#!/usr/bin/env node
// nethost entry point: oclif and every dependency are bundled in dist/nethost.cjs (see build.mjs).
import { loadBundle } from './bundle.js';

const { exports } = loadBundle();
if (process.env.NETHOST_TRACE) {
  const { user, system } = process.cpuUsage();
  process.stderr.write(
    `nethost trace: ${performance.now().toFixed(0)} ms (cpu ${((user + system) / 1000).toFixed(0)} ms) bundle loaded\n`,
  );
}
// V8 doubles the young generation while a run allocates its long-lived model, up to 2 × 16 MB,
// most of it touched once. For the read-only commands, which build the model once and keep it,
// holding it at its initial size lowers peak RSS by ~20 % (158 → 135 MB at 4000 interfaces) at
// no cost in time; apply, which reads the kernel twice (snapshot, verification), is quicker with
// the growth (measured: bench/ANALYSIS.md). Set after the bundle is loaded: V8 checks its code
// cache against the flags in force, and the build wrote that cache without this one.
// (node:v8 is imported only here: it loads node's stream modules, ~12 M instructions --version does without.)
if (['plan', 'drift-check', 'validate'].includes(process.argv[2]))
  (await import('node:v8')).setFlagsFromString('--semi-space-growth-factor=1');
await exports.main(import.meta.url);
