// Writes the Debian copyright file (machine-readable format 1.0) of the nethost package on stdout.
// /usr/bin/nethost carries more than nethost: the Node.js runtime it was built from and the npm
// packages bundled into dist/nethost.cjs. Their licenses are copied verbatim from where they
// come from (Node's LICENSE, each package's own license file), so a new dependency is covered
// without editing this file. The list of packages is the bundle's own (its source map).
//   node scripts/deb-copyright.mjs > copyright
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const fail = (msg) => {
  process.stderr.write(`deb-copyright: ${msg}\n`);
  process.exit(1);
};

// Node's LICENSE: Debian's and NodeSource's packages keep it in /usr/share/doc/nodejs, the
// official tarballs beside bin/. It is the license of the runtime and of what it includes.
const nodePrefix = dirname(dirname(process.execPath));
const nodeLicense = [
  join(nodePrefix, 'share/doc/nodejs/LICENSE'),
  join(nodePrefix, 'LICENSE'),
  '/usr/share/doc/nodejs/LICENSE',
].find((p) => existsSync(p));
if (!nodeLicense)
  fail(
    `cannot find Node.js's LICENSE for ${process.execPath} (looked in ${nodePrefix}/share/doc/nodejs and ${nodePrefix})`,
  );

// The bundle's source map names every file esbuild took in: node_modules/<pkg>/... (or
// node_modules/@scope/pkg/..., possibly nested in another package's node_modules).
const map = JSON.parse(readFileSync(join(root, 'dist/nethost.cjs.map'), 'utf8'));
const dirs = new Map();
for (const s of map.sources) {
  const i = s.lastIndexOf('node_modules/');
  if (i < 0) continue;
  const parts = s.slice(i + 'node_modules/'.length).split('/');
  const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  dirs.set(resolve(root, 'dist', s.slice(0, i), 'node_modules', name), name);
}
if (dirs.size === 0) fail('dist/nethost.cjs.map names no npm package: is it the bundle build.mjs writes?');

const packages = [...dirs]
  .map(([dir, name]) => {
    const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir)
      .filter((f) => /^(licen[cs]e|copying)(\.(md|txt|markdown))?$|^licen[cs]e-mit(\.txt)?$/i.test(f))
      .sort()[0];
    if (!file) fail(`${name} ${pj.version} has no license file in ${dir}`);
    const license =
      typeof pj.license === 'string' ? pj.license : fail(`${name} ${pj.version}: package.json has no SPDX "license"`);
    return { name, version: pj.version, license, text: readFileSync(join(dir, file), 'utf8') };
  })
  .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Debian keeps one copy of the Apache License's terms (policy 12.5; lintian:
 * copyright-file-contains-full-apache-2-license): each copy here becomes a pointer to it. */
const apache = (text) =>
  text.replace(
    /^[ \t]*Apache License[ \t]*\n[ \t]*Version 2\.0, January 2004[\s\S]*?^([ \t]*)END OF TERMS AND CONDITIONS[ \t]*$/gm,
    '$1[the terms of the Apache License, Version 2.0: on Debian systems in /usr/share/common-licenses/Apache-2.0]',
  );
/** A text as the value of a field: every line indented by one space, an empty line as " .". */
const field = (text) =>
  apache(text)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '        ')
    .trimEnd()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const out = [];
out.push(`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: nethost
Comment: /usr/bin/nethost is a Node.js single executable application: the Node.js
 ${process.version} runtime with nethost's JavaScript in it, which bundles the npm packages
 listed under "License: bundled-npm-packages".

Files: *
Copyright: the nethost authors
License: Apache-2.0

Files: usr/bin/nethost
Copyright: the nethost authors
 Node.js contributors, and the authors named in Node.js's LICENSE
 the authors of the bundled npm packages, named in their licenses below
License: Apache-2.0 and Node.js and bundled-npm-packages

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not use
 this file except in compliance with the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0, can be
 found in /usr/share/common-licenses/Apache-2.0.

License: Node.js
 The Node.js runtime ${process.version} in /usr/bin/nethost, and the libraries it includes,
 are under these terms (Node.js's LICENSE, verbatim):
 .
${field(readFileSync(nodeLicense, 'utf8'))}

License: bundled-npm-packages
 nethost ${version}'s JavaScript bundles these npm packages, each under its own license,
 reproduced verbatim below:
 .
${field(packages.map((p) => `${p.name} ${p.version} (${p.license})`).join('\n'))}`);
for (const p of packages) out.push(` .\n ${p.name} ${p.version} (${p.license}):\n .\n${field(p.text)}`);
process.stdout.write(`${out.join('\n')}\n`);
