// The whole CLI in one bundle (oclif, zod and js-yaml included): start-up then costs one file, read
// and compiled from V8's code cache (bin/bundle.js), instead of hundreds resolved one by one.
// oclif's explicit-strategy target is this same module, so its command map costs nothing more.
import { fileURLToPath } from 'node:url';
import { run } from '@oclif/core/run';
import { flush } from '@oclif/core/flush';
import { handle } from '@oclif/core/handle';
import { printable } from '../src/util/text.js';

export { COMMANDS } from './index.js';

/** The build's code-cache warm-up (build.mjs). Imported when called: a static export would make
 *  every run evaluate the whole pipeline (every kind's schemas, the renderers) before oclif starts,
 *  which `--version` and `--help` never use and the commands import themselves when they run. */
export async function warmUp(samples: import('../src/engine/warm-up.js').WarmUpSamples): Promise<number> {
  return (await import('../src/engine/warm-up.js')).warmUp(samples);
}

/** `args` defaults to the process's own (the build passes its own to warm the code cache up). */
/** The V8 flags a command runs with (bin/run.js and the single executable's entry both set them once the
 *  bundle is loaded; bin/run.js says why each), or undefined for none. */
export function v8FlagsFor(command: string | undefined): string | undefined {
  return command && ['plan', 'drift-check', 'validate', 'apply'].includes(command)
    ? '--semi-space-growth-factor=1 --interrupt-budget=270336'
    : undefined;
}

export async function main(dir: string, args?: string[]): Promise<void> {
  // No user plugins: nethost installs none, and reading ~/.local/share/nethost as another user
  // (sudo keeps HOME) only prints an EACCES warning.
  try {
    await run(args ?? process.argv.slice(2), {
      root: dir.startsWith('file:') ? fileURLToPath(dir) : dir,
      userPlugins: false,
    });
    await flush();
  } catch (error: any) {
    // oclif's own errors quote the argv as typed ("Nonexistent flag: --x…"): a control character
    // in it is escaped, as everything else nethost prints (nethost's own messages already are).
    if (error && typeof error.message === 'string') error.message = printable(error.message, true);
    await handle(error);
  }
}
