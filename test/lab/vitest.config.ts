import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Kernel lab suite: runs only inside the QEMU guest booted by test/lab/run.sh (Debian's full
// kernel: bonding, 8021q, ip_gre, dummy ...). Everything is emulated (TCG), so it is slow:
// one file at a time in one fork, generous timeouts.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/lab/**/*.lab.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
    maxWorkers: 1,
  },
});
