import { expect } from 'vitest';
import { batterySuite } from '../support/battery.js';
import { rawDisposition } from '../support/witness.js';

// Against the host's own /proc for the same container: PID 1's name and program, what its raw
// masks say it does with SIGTERM (15), and how many processes the container has.
batterySuite('pid1', (o, w) => {
  expect(w.running, 'still running when witnessed').toBe(true);
  const pid1 = w.processes[0];
  expect(pid1, 'PID 1 on the host').toBeDefined();
  if (!pid1) return;
  expect(o.observed.pid1).toBe(pid1.comm);
  // The program PID 1 runs, by the kernel's record, which the verdict rests on.
  expect(o.observed.pid1Exe).toBe(pid1.exe);
  expect(o.observed.sigterm).toBe(rawDisposition(pid1, 15));
  expect((o.observed.processes as unknown[]).length).toBe(w.processes.length);
});
