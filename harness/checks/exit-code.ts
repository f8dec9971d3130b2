import { signalNumber } from '../signals.js';
import { judgedGraceSeconds, lengthenedGrace } from '../observe/stop-timing.js';
import { HANG_MS, scenario, waitUntil } from './common.js';
import { ScenarioError } from '../errors.js';
import { defineCheck } from './definition.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

/** "exit-3": the program exits with 3; "signal-SIGTERM": it kills itself with SIGTERM. */
export const EXIT_SCENARIOS = ['exit-3', 'signal-SIGTERM'] as const;
export type ExitScenario = (typeof EXIT_SCENARIOS)[number];

export interface ExitCodeObserved {
  /** The container's exit code, or null when it did not exit. */
  exitCode: number | null;
  /** What a faithful chain of parents reports: N, or 128+S. */
  wanted: number;
  /** Still running when the wait ran out (PID 1 ignored its own signal). */
  survived: boolean | null;
}

const RUN_FOR_S = 0.3;

/** exit-code: does the container's exit code carry the program's (N, or 128+S)? */
function exitCode(ctx: CheckContext, subject: Subject, which: ExitScenario): Promise<Observation<ExitCodeObserved>> {
  const signal = which.startsWith('signal-') ? which.slice('signal-'.length) : undefined;
  const wanted = signal ? 128 + (signalNumber(signal) ?? 0) : Number(which.slice('exit-'.length));
  return scenario<ExitCodeObserved>(
    ctx,
    subject,
    {
      check: 'exit-code',
      scenario: which,
      did: signal
        ? `started ${subject.name} with the program killing itself with ${signal} after ${RUN_FOR_S} s`
        : `started ${subject.name} with the program exiting ${wanted} after ${RUN_FOR_S} s`,
      env: {
        APP_EXIT_AFTER: String(RUN_FOR_S),
        ...(signal ? { APP_KILL_SELF: signal } : { APP_EXIT_CODE: String(wanted) }),
      },
      empty: { exitCode: null, wanted, survived: null },
    },
    async (container) => {
      // Until the container exits, or the program says it survived its own signal
      // (PID 1 with the default disposition: the kernel dropped it).
      const outcome = await waitUntil(HANG_MS, async () => {
        const done = await container.exitedYet();
        if (done) return { exited: done };
        const survived = (await container.logs()).some((l) => /^survived SIG/.test(l.text));
        return survived ? { exited: null } : undefined;
      });
      if (!outcome) throw new ScenarioError(`neither exited nor said it survived within ${HANG_MS / 1000} s`);
      const { exited } = outcome;
      const logs = await container.logs();
      if (!exited) {
        return {
          verdict: 'fail',
          reason: `still running after the program ${signal ? `sent itself ${signal} (the kernel dropped it: PID 1 has no handler)` : `should have exited ${wanted}`}`,
          observed: { exitCode: null, wanted, survived: true },
          evidence: { logs, exitCode: null },
        };
      }
      const ok = exited.exitCode === wanted;
      return {
        verdict: ok ? 'pass' : 'fail',
        reason: ok
          ? `the container exited ${wanted}, as the program did`
          : `the container exited ${exited.exitCode}; the program's status was ${wanted}`,
        // mutant: reports the program's code instead of the container's
        // => observed: { exitCode: wanted, wanted, survived: false },
        observed: { exitCode: exited.exitCode, wanted, survived: false },
        evidence: {
          logs,
          exitCode: exited.exitCode,
          state: exited.state(),
        },
      };
    },
  );
}

export interface ExitOnStopSignalObserved {
  stopSignal: string | null;
  exitCode: number | null;
  /** Exit codes that count as a clean exit on the stop signal. */
  accepted: number[];
}

/**
 * exit-code, scenario "on-stop-signal" (for any image): send the image's own stop
 * signal (not the engine's stop, so no SIGKILL follows) and see which code the
 * container exits with within the grace period.
 */
function exitCodeOnStopSignal(
  ctx: CheckContext,
  subject: Subject,
  accepted: readonly number[],
): Promise<Observation<ExitOnStopSignalObserved>> {
  const G = ctx.graceSeconds;
  return scenario<ExitOnStopSignalObserved>(
    ctx,
    subject,
    {
      check: 'exit-code',
      scenario: 'on-stop-signal',
      did: `started ${subject.name}, sent its stop signal, waited up to ${G} s for it to exit`,
      empty: { stopSignal: null, exitCode: null, accepted: [...accepted] },
    },
    async (container) => {
      const { stopSignal } = await container.config();
      const latencyMs = await container.engineLatencyMs();
      const waitS = judgedGraceSeconds(G, latencyMs);
      const { delivered } = await container.signal(stopSignal);
      let exited = await container.waitExit(waitS * 1000);
      // Not reported as exited: is it still running, or has the busy engine not yet
      // processed an exit that happened? Its process list answers without that lag.
      const left = exited ? null : await container.processes();
      if (!exited && !left?.length) exited = await container.waitExit(HANG_MS);
      // The engine refused the signal (it held the container as not running) while its
      // processes ran on: nothing was asked of the image, so nothing can be judged.
      if (!exited && !delivered)
        throw new ScenarioError(
          `the engine did not deliver ${stopSignal}: it answered that the container was not running`,
        );
      const logs = await container.logs();
      if (!exited) {
        return {
          verdict: 'fail',
          reason: `still running ${waitS} s after ${stopSignal}${lengthenedGrace(G, waitS, latencyMs)}: the stop signal is not acted on`,
          observed: { stopSignal, exitCode: null, accepted: [...accepted] },
          evidence: { logs, exitCode: null, ...(left?.length ? { notes: [`still running: ${left.join('; ')}`] } : {}) },
        };
      }
      const ok = accepted.includes(exited.exitCode);
      return {
        verdict: ok ? 'pass' : 'fail',
        reason: `exited ${exited.exitCode} on ${stopSignal}${ok ? '' : ` (accepted: ${accepted.join(', ')})`}`,
        observed: { stopSignal, exitCode: exited.exitCode, accepted: [...accepted] },
        evidence: {
          logs,
          exitCode: exited.exitCode,
          state: exited.state(),
        },
      };
    },
  );
}

export const exitCodeCheck = defineCheck<ExitCodeObserved | ExitOnStopSignalObserved>({
  name: 'exit-code',
  description: "whether the container's exit code carries the program's (N, or 128+S)",
  does: 'the program exits 3; or kills itself with SIGTERM',
  observes: "the container's exit code vs 3 / 143",
  remedy:
    "The exit code on the stop signal is not one the policy accepts: a 137 means SIGKILL after the grace period; the program's own code was lost. Handle SIGTERM and exit 0, or let an init report 128+signal.",
  fixedByExecForm: true,
  fromDockerfile: (d) => d.signalled('so the exit code is 137 (SIGKILL)', 'its exit code is its own'),
  scenarios: EXIT_SCENARIOS,
  slow: false,
  run: (ctx, subject, sc) => exitCode(ctx, subject, (sc ?? 'exit-3') as ExitScenario),
  expected({ facts }, scenario) {
    // The entrypoint script carries on after the program and exits with its own 0.
    if (facts.ownExitStatus) return { exitCode: 0 };
    if (scenario === 'exit-3') return { exitCode: 3 };
    // PID 1 ignores even its own SIGTERM when the disposition is the default.
    return facts.role === 'program' ? { exitCode: null, survived: true } : { exitCode: 143 };
  },
  figure: (o) => ('survived' in o && o.survived ? 'alive' : o.exitCode == null ? 'no exit' : String(o.exitCode)),
  certify: {
    question: 'the exit code on its stop signal is an accepted one?',
    scenarios: ['on-stop-signal'],
    run: (ctx, subject, _sc, policy) => exitCodeOnStopSignal(ctx, subject, policy.acceptedExitCodes),
    expectation: (policy) => `exit code on its stop signal one of ${policy.acceptedExitCodes.join(', ')}`,
    judge: (o, policy) =>
      o.observed.exitCode !== null && policy.acceptedExitCodes.includes(o.observed.exitCode)
        ? { verdict: 'pass', reason: o.reason }
        : { verdict: 'fail', reason: o.reason },
  },
});
