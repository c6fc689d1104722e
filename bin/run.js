#!/usr/bin/env node
// nethost entry point: oclif and every dependency are bundled in dist/nethost.cjs (see build.mjs).
import { setFlagsFromString } from 'node:v8';
import { loadBundle } from './bundle.js';

const { exports } = loadBundle();
// V8 doubles the young generation while a run allocates its (long-lived) model, up to 2 × 16 MB,
// most of it touched once: on a 4000-interface host that is ~25 MB of peak RSS for no time saved
// (measured: bench/ANALYSIS.md). Set after the bundle is loaded, because V8 checks its code cache
// against the flags in force, and the build wrote that cache without this one.
setFlagsFromString('--semi-space-growth-factor=1');
await exports.main(import.meta.url);
