// Loads the CLI bundle (dist/nethost.cjs) through V8's code cache (dist/nethost.cjs.cache).
// Node 20 has no compile cache of its own, and compiling a 1 MB bundle, then each function as it
// first runs, costs more than most commands' own work. The cache is written at build time
// (build.mjs); V8 checks it against the source and silently compiles afresh if it does not match.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

export const bundleFile = fileURLToPath(new URL('../dist/nethost.cjs', import.meta.url));
const cacheFile = `${bundleFile}.cache`;

/** Returns the bundle's exports, and `writeCache` (for the build) to save V8's code for what has run. */
export function loadBundle({ useCache = true } = {}) {
  let source;
  try {
    source = readFileSync(bundleFile, 'utf8');
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    process.stderr.write(`nethost: ${bundleFile} is missing: build it first (npm ci && npm run build)\n`);
    process.exit(1);
  }
  let cachedData;
  if (useCache) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache: compile from source.
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundleFile,
    cachedData,
  });
  const require = createRequire(bundleFile);
  const mod = new Module(bundleFile);
  mod.filename = bundleFile;
  // oclif require()s its command map from this same file: it must get this instance, not a second one.
  require.cache[bundleFile] = mod;
  script.runInThisContext()(mod.exports, require, mod, bundleFile, dirname(bundleFile));
  mod.loaded = true;
  return {
    exports: mod.exports,
    writeCache: () => writeFileSync(cacheFile, script.createCachedData()),
    cacheRejected: cachedData ? script.cachedDataRejected : undefined,
  };
}
