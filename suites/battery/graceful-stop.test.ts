import { expect } from 'vitest';
import { batterySuite, expectStopTiming } from '../support/battery.js';

// Judged from the engine's records: its exit code, and its event log of the signals it
// sent (SIGKILL present exactly when the grace period ran out).
batterySuite('graceful-stop', (o) => {
  expect(o.evidence.state?.exitCode).toBe(o.observed.exitCode);
  const signals = (o.evidence.events ?? []).map((e) => e.attributes.signal);
  expect(signals[0]).toBe('15');
  expect(signals.includes('9')).toBe(o.observed.killed);
  expectStopTiming(o.observed.killed, o.evidence.timings);
});
