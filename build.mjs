// Bundles src/ and commands/ into dist/nethost.cjs: one CommonJS file with its dependencies (oclif, zod, js-yaml)
// inside, loaded through V8's code cache (bin/bundle.js). Node otherwise resolves, reads and
// compiles several hundred small files on every run; that was most of a plan's time.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * oclif sorts its command ids with localeCompare on every run; the first localeCompare in a process
 * builds an ICU collator, ~10 ms here, to order four ASCII ids. A code-point comparison orders them
 * the same. The build fails if oclif's line changes, rather than silently losing the fix.
 */
const oclifCommandSort = {
  name: 'oclif-command-sort',
  setup(b) {
    b.onLoad({ filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, (args) => {
      const from = '.sort((a, b) => a.id.localeCompare(b.id))';
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(from))
        throw new Error(`${args.path}: the command sort build.mjs rewrites is gone; revisit oclifCommandSort`);
      return {
        contents: text.replace(from, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))'),
        loader: 'js',
      };
    });
  },
};

/**
 * The bundle must be ASCII: node reads an all-ASCII file straight into a V8 string, but a single
 * other byte sends the whole 1.3 MB through the general UTF-8 decoder (~30 M instructions, ~5 ms
 * of every run, --version included; counted with callgrind). esbuild escapes strings and
 * identifiers but leaves regular expression literals as written; ansis (oclif's colours) writes a
 * raw U+009B (CSI) in one. `\x9b` is the same character to the regex. The build fails if the line
 * changes, rather than silently losing the fix; a non-ASCII character anywhere else in the output
 * fails it too (below).
 */
const ansisAscii = {
  name: 'ansis-ascii',
  setup(b) {
    b.onLoad({ filter: /[\\/]ansis[\\/]index\.js$/ }, (args) => {
      const from = '/[\x1b\u009b][[()#;?]';
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(from))
        throw new Error(`${args.path}: the regex build.mjs rewrites is gone; revisit ansisAscii`);
      return { contents: text.replace(from, '/[\x1b\\x9b][[()#;?]'), loader: 'js' };
    });
  },
};

rmSync('dist', { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
await build({
  ...common,
  entryPoints: ['commands/main.ts'],
  outfile: 'dist/nethost.cjs',
  format: 'cjs',
  // oclif reaches for typescript only to run uncompiled plugins in development; never here.
  external: ['typescript'],
  plugins: [oclifCommandSort, ansisAscii],
  // NETHOST_READABLE_BUILD=1 keeps lines and names apart, for reading CPU profiles.
  minifySyntax: !process.env.NETHOST_READABLE_BUILD,
  minifyWhitespace: !process.env.NETHOST_READABLE_BUILD,
});
// (The readable build keeps esbuild's copies of comments, some not ASCII: it is for reading
// profiles, not for shipping.)
if (!process.env.NETHOST_READABLE_BUILD) {
  const out = readFileSync('dist/nethost.cjs', 'latin1');
  const at = out.search(/[^\x00-\x7f]/);
  if (at >= 0)
    throw new Error(
      `dist/nethost.cjs is not ASCII at byte ${at} (${JSON.stringify(out.slice(Math.max(0, at - 40), at + 10))}): escape it at its source, as ansisAscii does`,
    );
}
await build({
  ...common,
  entryPoints: ['src/config/schema.ts'],
  outfile: 'dist/schema.js',
  format: 'esm',
  packages: 'external',
});

// The published JSON Schema is generated from the same zod schemas that validate files.
const { jsonSchema } = await import('./dist/schema.js');
mkdirSync('schema', { recursive: true });
writeFileSync('schema/nethost.schema.json', JSON.stringify(jsonSchema(), null, 2) + '\n');

// The code cache: V8 keeps compiled code for the functions that ran, so the bundle runs a start-up
// (oclif, `validate` of each example) and the pure pipeline over captured live states first.
const { loadBundle } = await import('./bin/bundle.js');
const bundle = loadBundle({ useCache: false });
const examples = existsSync('examples')
  ? readdirSync('examples')
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join('examples', f))
  : [];
const fixtures = 'test/fixtures/host';
const lives = existsSync(fixtures)
  ? readdirSync(fixtures, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => {
        const j = (f) => JSON.parse(readFileSync(join(fixtures, d.name, f), 'utf8'));
        const neigh = existsSync(join(fixtures, d.name, 'neigh-all.json')) ? 'neigh-all.json' : 'neigh.json';
        return {
          links: j('address.json'),
          neighbors: j(neigh),
          routes4: j('route4.json'),
          rules4: j('rule4.json'),
          routes6: j('route6.json'),
          rules6: j('rule6.json'),
          sysctls: {},
        };
      })
  : [];
const facts = { users: { root: 0 }, groups: { root: 0 }, tables: { main: 254, local: 255, default: 253 } };
const plans = await bundle.exports.warmUp({
  files: examples.map((f) => ({ name: f, text: readFileSync(f, 'utf8') })),
  lives,
  facts,
});
if (lives.length && plans < lives.length) throw new Error(`code-cache warm-up made only ${plans} plans`);
const write = process.stdout.write;
process.stdout.write = () => true; // the warm-up's command output is not the build's
try {
  // oclif's flush waits on stdout's drain once per run: one listener per example, harmless here.
  process.stdout.setMaxListeners(examples.length + 10);
  for (const f of examples) await bundle.exports.main(new URL('./bin/run.js', import.meta.url).href, ['validate', f]);
} finally {
  process.stdout.write = write;
}
bundle.writeCache();
