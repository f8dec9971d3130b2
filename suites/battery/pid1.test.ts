import { expect } from 'vitest';
import { batterySuite } from '../support/battery.js';

// PID 1's command name, and a process table that really comes from the container:
// PID 1 is in it with parent 0, and every other process descends from it.
batterySuite('pid1', (o) => {
  const processes = o.observed.processes as { pid: number; ppid: number }[];
  expect(processes.find((p) => p.pid === 1)?.ppid).toBe(0);
  const pids = new Set(processes.map((p) => p.pid));
  for (const p of processes.filter((x) => x.pid !== 1)) expect(pids.has(p.ppid)).toBe(true);
  expect(o.evidence.ps?.[0]?.processes.length).toBe(processes.length);
});
