// The main script of the single executable (scripts/build-exe.mjs): it does for the SEA what
// bin/run.js and bin/bundle.js do for `node bin/run.js`, with the bundle, its V8 code cache and
// package.json read from the executable's own assets instead of files beside it.
// A SEA main script is CommonJS whose require() reaches only Node's built-in modules.
'use strict';
const { getAsset, getRawAsset } = require('node:sea');
const { createRequire } = require('node:module');
const fsp = require('node:fs/promises');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

// oclif finds its root by reading ROOT/package.json and loads the command map by require()ing
// ROOT/<oclif.commands.target>. ROOT is the executable itself: a file, so nothing real can ever
// stand at a path under it, and no other file is confused with these two.
const ROOT = process.execPath;
const PJSON = join(ROOT, 'package.json');
const pjsonText = getAsset('package.json', 'utf8');
const BUNDLE = join(ROOT, JSON.parse(pjsonText).oclif.commands.target);

// oclif reads package.json and looks for oclif.manifest.json (there is none, as for bin/run.js)
// with fs/promises' readFile: those two, and anything else under ROOT, are answered here.
const readFile = fsp.readFile;
fsp.readFile = function (path, ...rest) {
  if (typeof path === 'string' && path.startsWith(`${ROOT}/`)) {
    if (path === PJSON) return Promise.resolve(typeof rest[0] === 'string' || rest[0]?.encoding ? pjsonText : Buffer.from(pjsonText));
    const e = new Error(`ENOENT: no such file or directory, open '${path}'`);
    Object.assign(e, { code: 'ENOENT', errno: -2, syscall: 'open', path });
    return Promise.reject(e);
  }
  return readFile.call(this, path, ...rest);
};

// The same wrapper text as bin/bundle.js: V8 takes a code cache only for the source it was made from.
// The build stores the bundle as Latin-1 (every character of it is below U+0100, which it checks):
// a byte-for-byte copy into a string, where decoding its UTF-8 cost ~8 % of a start-up.
// Raw assets are views of the executable's own memory: nothing is copied but the string.
const source = Buffer.from(getRawAsset('nethost.cjs')).toString('latin1');
const cachedData = Buffer.from(getRawAsset('nethost.cjs.cache'));
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData });
if (process.env.NETHOST_SEA_CHECK === '1') process.stderr.write(`nethost: code cache ${script.cachedDataRejected === false ? 'accepted' : 'rejected'}\n`);
const mod = { exports: {}, loaded: false };
// oclif require()s its command map from ROOT/dist/nethost.cjs: it gets this same instance. Anything
// else the bundle requires is a Node built-in (or, in oclif's development-only paths, not found).
const fallback = createRequire(BUNDLE);
const bundleRequire = (id) => (id === BUNDLE ? mod.exports : fallback(id));
bundleRequire.resolve = (id, options) => (id === BUNDLE ? BUNDLE : fallback.resolve(id, options));
bundleRequire.cache = fallback.cache;
script.runInThisContext()(mod.exports, bundleRequire, mod, BUNDLE, dirname(BUNDLE));
mod.loaded = true;

if (process.env.NETHOST_TRACE) {
  const { user, system } = process.cpuUsage();
  process.stderr.write(
    `nethost trace: ${performance.now().toFixed(0)} ms (cpu ${((user + system) / 1000).toFixed(0)} ms) bundle loaded\n`,
  );
}
// As bin/run.js (which says why): set only after the bundle is compiled from its cache, and node:v8
// loaded only for these commands.
const flags = mod.exports.v8FlagsFor(process.argv[2]);
if (flags) require('node:v8').setFlagsFromString(flags);
// A SEA's argv is [execPath, execPath, ...args], as node's [node, script, ...args]: main reads argv.slice(2).
mod.exports.main(ROOT);
