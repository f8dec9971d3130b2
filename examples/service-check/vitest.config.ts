import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each matcher starts real containers: seconds per assertion.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // testcontainers' reaper image would be pulled; the suite stops what it starts.
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
  },
});
