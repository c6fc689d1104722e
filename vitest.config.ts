import { defineConfig } from 'vitest/config';

// Host-kernel suite: unit tests (pure, no root) and integration tests (root, real namespaces).
// Integration tests run in one fork, one file at a time: they share the kernel and want stable timing.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
