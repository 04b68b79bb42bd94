import { defineConfig } from 'vitest/config';

// Browser test against the real server binary (see e2e/chart.test.ts).
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
