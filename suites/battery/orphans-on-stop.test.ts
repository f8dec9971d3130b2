import { expect } from 'vitest';
import { batterySuite, expectStopTiming } from '../support/battery.js';

batterySuite('orphans-on-stop', (o) => {
  const { signalled, grandchildren, reached } = o.observed as {
    signalled: number;
    grandchildren: number;
    reached: boolean;
  };
  // Counted from the grandchildren's own log lines in the container's log.
  const logged = new Set(
    (o.evidence.logs ?? []).map((l) => /^grandchild pid=(\d+) signal SIG(TERM|INT)$/.exec(l.text)?.[1]).filter(Boolean),
  );
  expect(logged.size).toBe(signalled);
  expect(reached).toBe(signalled > 0);
  // A program that died of the signal takes PID 1 with it: never a pass.
  if ((o.observed.exitCode as number) > 128) expect(o.verdict).toBe('fail');
  expect(signalled).toBeLessThanOrEqual(grandchildren);
  expectStopTiming(o.observed.killed, o.evidence.timings);
});
