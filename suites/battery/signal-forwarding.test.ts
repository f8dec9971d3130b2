import { expect } from 'vitest';
import { signalNumber } from '../../harness/signals.js';
import { batterySuite } from '../support/battery.js';

// Against the docker CLI and the host's /proc: the engine sent the scenario's signal,
// and the program got it exactly when its own log (read through the CLI) has the line,
// or the container exited 128+N, or the program's process is gone from the host.
batterySuite('signal-forwarding', (o, w) => {
  const n = signalNumber(o.scenario ?? '') as number;
  expect(w.events.find((e) => e.action === 'kill')?.signal).toBe(String(n));
  const logged = w.logs.includes(`signal ${o.scenario}`);
  const diedOf = !w.running && w.exitCode === 128 + n;
  const programGone = w.running && !w.processes.some((p) => /app\.py/.test(p.cmdline) && p.state !== 'Z');
  expect(o.observed.received, `logged ${logged}, died ${diedOf}, gone ${programGone}`).toBe(
    logged || diedOf || programGone,
  );
});
