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
// most of it touched once. Holding it at its initial size lowers peak RSS by ~20 % (158 → 135 MB
// for a plan at 4000 interfaces) and, on this VM where every fresh page is a fault, CPU time too:
// apply from empty at 200 bridges 743 → 703 ms of node's own CPU, one address changed at 2000
// interfaces 2028 → 1833 ms, wall equal or lower (bench/ANALYSIS.md, issue 20; an earlier wall-clock
// measurement had kept apply out). Set after the bundle is loaded: V8 checks its code cache
// against the flags in force, and the build wrote that cache without this one. (node:v8 is
// imported only here: it loads node's stream modules, ~12 M instructions --version does without.)
//
// TurboFan waits for four times V8's default interrupt budget before it optimizes a function: a run
// lasts a second or two, and on two CPUs the optimizing thread competed with the run it was
// optimizing for. Counted with callgrind (main thread / V8's other threads, M instructions): no-op
// plan at 200 bridges 1042 / 248 -> 1073 / 106; at 1000 bridges 2498 / 1710 -> 2716 / 802; the
// 10,000-resource planner 4659 / 3867 -> 5022 / 1645. --no-opt saves a little more CPU but costs
// the main thread 22-34 % at those sizes (bench/ANALYSIS.md, issue 20).
const flags = exports.v8FlagsFor(process.argv[2]); // commands/main.ts: one list for both entries
if (flags) (await import('node:v8')).setFlagsFromString(flags);
await exports.main(import.meta.url);
