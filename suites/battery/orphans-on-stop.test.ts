import { expect } from 'vitest';
import { batterySuite, expectStopTiming } from '../support/battery.js';
import { stopEvents } from '../support/witness.js';

// Against the docker CLI: the grandchildren's own lines in the container's log (how
// many started, how many logged the stop signal), the engine's SIGKILL and exit code.
batterySuite('orphans-on-stop', (o, w) => {
  const started = w.logs.filter((l) => /^grandchild pid=\d+ started$/.test(l)).length;
  const signalled = new Set(
    w.logs.map((l) => /^grandchild pid=(\d+) signal SIG(TERM|INT)$/.exec(l)?.[1]).filter(Boolean),
  ).size;
  expect(o.observed.grandchildren).toBe(started);
  expect(o.observed.signalled).toBe(signalled);
  expect(o.observed.killed).toBe(stopEvents(w).sigkill);
  expect(o.observed.exitCode).toBe(w.exitCode);
  expectStopTiming(o.observed.killed, o.evidence.timings);
});
