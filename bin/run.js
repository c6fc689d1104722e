#!/usr/bin/env node
// nethost entry point: oclif and every dependency are bundled in dist/nethost.cjs (see build.mjs).
import { loadBundle } from './bundle.js';

const { exports } = loadBundle();
await exports.main(import.meta.url);
