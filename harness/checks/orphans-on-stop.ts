import { ScenarioError } from '../errors.js';
import { HANG_MS, scenario, waitForLogs } from './common.js';
import { defineCheck } from './definition.js';
import { measureStop, stopsOnTerm } from './graceful-stop.js';
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
function orphansOnStop(ctx: CheckContext, subject: Subject): Promise<Observation<OrphansOnStopObserved>> {
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
      const { matched } = await waitForLogs(
        container,
        (ls) => ls.filter((l) => / started$/.test(l.text)).length >= GRANDCHILDREN,
        HANG_MS,
      );
      if (!matched)
        throw new ScenarioError(
          `the ${GRANDCHILDREN} grandchildren did not say they started within ${HANG_MS / 1000} s`,
        );
      const ps = await container.ps(ctx.toolboxImage);
      const { observed: stop, evidence } = await measureStop(ctx, container, t0);
      const logs = evidence.logs ?? [];
      const started = logs.filter((l) => /^grandchild pid=\d+ started$/.test(l.text)).length;
      const signalled = new Set(
        logs.map((l) => /^grandchild pid=(\d+) signal SIG(TERM|INT)$/.exec(l.text)?.[1]).filter(Boolean),
      ).size;
      // When the init signals the whole group, the orphans get the signal together with
      // the program. If the program dies of it at once (no handler), the init exits
      // with it and the kernel SIGKILLs the rest, racing the orphans' handlers: how many
      // log it is then luck (measured: 0, 1 or 2 of 2). Only a program that exits on
      // its own terms (code 0) gives the orphans their turn, so that is the pass.
      const reached = signalled > 0;
      const programDied = stop.exitCode > 128;
      const pass = reached && !stop.killed && !programDied;
      return {
        verdict: pass ? 'pass' : 'fail',
        reason: !reached
          ? `none of the ${started} grandchildren logged the stop signal: they were SIGKILLed when PID 1 exited`
          : programDied
            ? `${signalled} of ${started} grandchildren logged the stop signal, but the program died of it at once and PID 1 exited with it: the orphans race the kernel's SIGKILL`
            : signalled === started
              ? `all ${started} grandchildren received the stop signal and exited before the container finished`
              : `${signalled} of ${started} grandchildren handled the stop signal before PID 1 exited; the kernel SIGKILLed the rest`,
        // mutant: hides the orphans' signals when the program died of its own
        // => observed: { grandchildren: started, signalled: programDied ? 0 : signalled, reached, killed: stop.killed, exitCode: stop.exitCode },
        observed: { grandchildren: started, signalled, reached, killed: stop.killed, exitCode: stop.exitCode },
        evidence: { ...evidence, ps: [ps] },
      };
    },
  );
}

export const orphansOnStopCheck = defineCheck<OrphansOnStopObserved>({
  name: 'orphans-on-stop',
  description: 'whether long-lived grandchildren are signalled on stop',
  does: 'the program leaves 2 orphaned long-lived grandchildren, then stop',
  observes: 'whether the stop signal reached them before PID 1 exited',
  remedy:
    'Long-lived grandchildren are SIGKILLed with PID 1 instead of being signalled: run an init that signals the whole group (tini -g, dumb-init) or have the program stop its children.',
  scenarios: [null],
  slow: true,
  run: (ctx, subject) => orphansOnStop(ctx, subject),
  /**
   * Only inits that signal the whole process group reach the orphaned grandchildren;
   * everywhere else they are SIGKILLed when PID 1 exits. With the naive program that
   * race is lost or won by luck (the program dies at once, the init exits with it, the
   * kernel kills the rest: measured 0, 1 or 2 of 2), so `reached` is not part of those
   * rows; their verdict is fail either way.
   */
  expected({ facts, program }) {
    if (facts.signalsGroup && program === 'naive') return { grandchildren: GRANDCHILDREN, killed: false };
    return { grandchildren: GRANDCHILDREN, reached: !!facts.signalsGroup, killed: !stopsOnTerm(facts, program) };
  },
  figure: (o) => `${o.signalled}/${o.grandchildren} sig${o.killed ? ' KILL' : ''}`,
});
