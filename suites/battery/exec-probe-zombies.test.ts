import { expect } from 'vitest';
import { batterySuite } from '../support/battery.js';

// Zombies counted again on the host: PID 1's descendants in state Z in /proc, each a
// child of PID 1 (a killed probe's child it adopted and has not waited for).
batterySuite('exec-probe-zombies', (o, w) => {
  expect(w.running, 'still running when witnessed').toBe(true);
  const zombies = w.processes.filter((p) => p.state === 'Z');
  expect(o.observed.zombies).toBe(zombies.length);
  for (const z of zombies) expect(z.ppid).toBe(w.processes[0]?.pid);
});
