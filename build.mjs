// Bundles src/ into dist/ (ESM, code-split so each command loads only what it uses).
import { build } from 'esbuild';

await build({
  entryPoints: { commands: 'src/cli/index.ts', schema: 'src/config/schema.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

// The published JSON Schema is generated from the same zod schemas that validate files.
const { jsonSchema } = await import('./dist/schema.js');
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync('schema', { recursive: true });
writeFileSync('schema/nethost.schema.json', JSON.stringify(jsonSchema(), null, 2) + '\n');
