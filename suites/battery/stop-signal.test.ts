import { expect } from 'vitest';
import { batterySuite, expectStopTiming } from '../support/battery.js';
import { stopEvents } from '../support/witness.js';

// Against the docker CLI: the image declares SIGINT, the engine sent it (2) first on
// stop, SIGKILL exactly when the check says so, and the program received SIGINT
// exactly when its own log says so or it died of it (130) before any SIGKILL.
batterySuite('stop-signal', (o, w) => {
  const stop = stopEvents(w);
  expect(o.observed.declared).toBe(w.stopSignal);
  expect(stop.firstSignal).toBe('2');
  expect(o.observed.killed).toBe(stop.sigkill);
  const received = w.logs.includes('signal SIGINT') || (!stop.sigkill && w.exitCode === 130);
  expect(o.observed.received).toBe(received ? 'SIGINT' : null);
  expectStopTiming(o.observed.killed, o.evidence.timings);
});
