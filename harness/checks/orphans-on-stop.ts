import { scenario, waitForLogs } from './common.js';
import { measureStop } from './graceful-stop.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

export interface OrphansOnStopObserved {
  /** Long-lived orphaned grandchildren the program left. */
  grandchildren: number | null;
  /** How many of them logged the stop signal (and exited on it) before PID 1 exited. */
  signalled: number | null;
  /** The stop signal reached the orphans at all (at least one logged it). */
  reached: boolean | null;
  /** The engine needed SIGKILL: the rest died with PID 1. */
  killed: boolean | null;
  exitCode: number | null;
}

const GRANDCHILDREN = 2;

/**
 * orphans-on-stop: the program leaves long-lived orphaned grandchildren; on stop, were
 * they signalled (they log it and exit) before the container finished, or did they die
 * unwarned, SIGKILLed with PID 1?
 */
export function orphansOnStop(ctx: CheckContext, subject: Subject): Promise<Observation<OrphansOnStopObserved>> {
  return scenario<OrphansOnStopObserved>(
    ctx,
    subject,
    {
      check: 'orphans-on-stop',
      scenario: null,
      did: `started ${subject.name} with ${GRANDCHILDREN} orphaned long-lived grandchildren, stopped it with a ${ctx.graceSeconds} s grace period`,
      env: { APP_GRANDCHILDREN: String(GRANDCHILDREN) },
      empty: { grandchildren: null, signalled: null, reached: null, killed: null, exitCode: null },
    },
    async (container, t0) => {
      // The grandchildren announce themselves; the ready line can come first.
      await waitForLogs(container, (ls) => ls.filter((l) => / started$/.test(l.text)).length >= GRANDCHILDREN, 3000);
      const ps = await container.ps(ctx.toolboxImage);
      const { observed: stop, evidence } = await measureStop(ctx, container, t0);
      const logs = evidence.logs ?? [];
      const started = logs.filter((l) => /^grandchild pid=\d+ started$/.test(l.text)).length;
      const signalled = new Set(
        logs.map((l) => /^grandchild pid=(\d+) signal SIG(TERM|INT)$/.exec(l.text)?.[1]).filter(Boolean),
      ).size;
      // When the init signals the whole group, the orphans get the signal together with
      // the program; if the program dies at once, the init exits and the kernel SIGKILLs
      // the rest, racing their handlers. So "reached" (any of them got it) is the
      // init's behaviour, and "signalled" how many won that race.
      const reached = signalled > 0;
      return {
        verdict: reached && !stop.killed ? 'pass' : 'fail',
        reason:
          started > 0 && signalled === started
            ? `all ${started} grandchildren received the stop signal and exited before the container finished`
            : reached
              ? `${signalled} of ${started} grandchildren handled the stop signal before PID 1 exited; the kernel SIGKILLed the rest (the init does not wait for orphans)`
              : `none of the ${started} grandchildren got the stop signal: they were SIGKILLed when PID 1 exited`,
        observed: { grandchildren: started, signalled, reached, killed: stop.killed, exitCode: stop.exitCode },
        evidence: { ...evidence, ps: [ps] },
      };
    },
  );
}
