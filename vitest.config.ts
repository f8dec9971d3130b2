import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Engine scenarios wait on containers, not on CPU: more workers than cores.
    maxWorkers: 4,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['suites/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'engine',
          include: ['suites/**/*.test.ts'],
          exclude: ['suites/unit/**'],
          // Brings up the engine and every image once, before any worker starts.
          globalSetup: ['suites/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Scenarios wait on real containers, not on CPU: run files side by side.
          fileParallelism: true,
        },
      },
    ],
    reporters: process.env.CI ? ['default', ['junit', { outputFile: 'reports/vitest-junit.xml' }]] : ['default'],
  },
});
