import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each matcher starts real containers: seconds per assertion.
    testTimeout: 180_000,
  },
});
