import { expect } from 'vitest';
import { batterySuite, expectStopTiming } from '../support/battery.js';
import { stopEvents } from '../support/witness.js';

// Against the engine's records read through the docker CLI: the exit code, the signals
// it sent (SIGTERM first, SIGKILL exactly when the check says it was needed) and the
// time from the stop signal to the die event; then the bands from the grace period.
batterySuite('graceful-stop', (o, w) => {
  const stop = stopEvents(w);
  expect(w.status).toBe('exited');
  expect(o.observed.exitCode).toBe(w.exitCode);
  expect(stop.firstSignal).toBe('15');
  expect(o.observed.killed).toBe(stop.sigkill);
  expect(Math.abs((o.observed.stopDurationMs as number) - (stop.dieAfterKillMs as number))).toBeLessThanOrEqual(1);
  expectStopTiming(o.observed.killed, o.evidence.timings);
});
