// Bundles src/ into dist/ (ESM, code-split so each command loads only what it uses).
import { build } from 'esbuild';

await build({
  entryPoints: { commands: 'src/cli/index.ts' },
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
