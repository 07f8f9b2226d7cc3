import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // Integration tests share one Temporal dev server and a 2-core machine: one file at a time.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
