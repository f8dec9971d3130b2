import { defineConfig } from 'vitest/config';

const engineProject = {
  // Brings up the engine and every image once, before any worker starts.
  globalSetup: ['suites/support/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

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
          ...engineProject,
          name: 'engine',
          include: ['suites/**/*.test.ts'],
          exclude: ['suites/unit/**', 'suites/pod/**'],
          // Scenarios wait on real containers, not on CPU: run files side by side.
          fileParallelism: true,
        },
      },
      {
        test: {
          ...engineProject,
          name: 'pod',
          include: ['suites/pod/**/*.test.ts'],
          // The pod suite measures probe periods and grace periods in seconds: it runs
          // after the engine battery, alone, so a loaded engine does not skew it.
          sequence: { groupOrder: 1 },
        },
      },
    ],
    reporters: process.env.CI ? ['default', ['junit', { outputFile: 'reports/vitest-junit.xml' }]] : ['default'],
  },
});
