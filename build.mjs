// Bundles src/ into dist/: one ESM entry with its dependencies (oclif, zod, yaml) inside, code-split
// so each command loads only what it uses. Bundling the dependencies is what makes start-up cheap:
// node otherwise resolves, reads and compiles several hundred small files on every run.
import { build } from 'esbuild';
import { rmSync, mkdirSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { nethost: 'src/cli/main.ts', schema: 'src/config/schema.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // oclif reaches for typescript only to run uncompiled plugins in development; never here.
  external: ['typescript'],
  // Bundled CommonJS (oclif) still calls require() for node's built-ins.
  banner: { js: "import { createRequire as __nethostRequire } from 'node:module'; const require = __nethostRequire(import.meta.url);" },
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: true,
  logLevel: 'warning',
});

// The published JSON Schema is generated from the same zod schemas that validate files.
const { jsonSchema } = await import('./dist/schema.js');
mkdirSync('schema', { recursive: true });
writeFileSync('schema/nethost.schema.json', JSON.stringify(jsonSchema(), null, 2) + '\n');
