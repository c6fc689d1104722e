// The whole CLI in one bundle (oclif, zod and yaml included): start-up then costs one module
// load instead of hundreds of files resolved and compiled one by one. oclif's explicit-strategy
// target is this same module, so loading the command map costs nothing more.
import { execute } from '@oclif/core';

export { COMMANDS } from './index.js';

export async function main(dir: string): Promise<void> {
  await execute({ dir });
}
