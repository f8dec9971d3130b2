import { defineConfig } from 'vitest/config';

const engineProject = {
  // Brings up the engine and every image once, before any worker starts.
  globalSetup: ['suites/support/build-current.ts', 'suites/support/global-setup.ts'],
  // Harness processes the files start share the run's bound on containers in flight.
  setupFiles: ['suites/support/join-slots.ts'],
  // Every wait in the suites is for a condition; these deadlines only stop a hang (the
  // run's scenarios queue for one shared bound of containers in flight, so a file may
  // wait for others' scenarios before its own start).
  testTimeout: 1_800_000,
  hookTimeout: 1_800_000,
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
          // Some start the compiled `harness` command; the timeout only stops a hang.
          globalSetup: ['suites/support/build-current.ts'],
          testTimeout: 60_000,
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
