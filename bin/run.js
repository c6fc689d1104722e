#!/usr/bin/env node
// nethost entry point: oclif and every dependency are bundled in dist/nethost.js (see build.mjs).
const { main } = await import('../dist/nethost.js');
await main(import.meta.url);
