import { defineConfig } from 'vitest/config';

// Unit tests: DOM-free modules only, plain Node environment.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
});
