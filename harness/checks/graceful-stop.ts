import { engineStopTiming, isSigkill, judgedGraceSeconds, lengthenedGrace, stopBands } from '../observe/stop-timing.js';
import type { RunningContainer } from '../run/container.js';
import { scenario } from './common.js';
import { disposition } from '../observe/signals.js';
import { defineCheck } from './definition.js';
import type { Evidence, Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';
import type { VariantFacts } from '../images/catalogue.js';

export interface GracefulStopObserved {
  exitCode: number | null;
  /** From the stop request to the engine's FinishedAt. */
  stopDurationMs: number | null;
  /** The engine had to send SIGKILL after the grace period. */
  killed: boolean | null;
}

/**
 * Stop through the engine and measure the outcome: exit code, duration, SIGKILL or not.
 * Durations are on one clock: the engine's event times (stop signal to die), with the
 * host's monotonic time around the request kept beside them; the bands to judge them
 * by come from the grace period and this container's own create-to-start latency.
 */
export async function measureStop(
  ctx: CheckContext,
  container: RunningContainer,
  t0: number,
): Promise<{
  observed: { exitCode: number; stopDurationMs: number; killed: boolean };
  evidence: Evidence;
  /** The grace period the stop was carried out with, s, and why when it is not the one asked for. */
  grace: { seconds: number; why: string };
}> {
  const latencyMs = await container.engineLatencyMs();
  const G = judgedGraceSeconds(ctx.graceSeconds, latencyMs);
  const { requested, exited, requestMs } = await container.stop(G);
  const events = await container.events((es) => es.some((e) => e.action === 'die'), 'its die event');
  const kills = events.filter((e) => e.action === 'kill');
  const timing = engineStopTiming(events);
  const stopDurationMs = timing.stopDurationMs ?? requestMs;
  // The engine's event log says which signals it sent; without kill events (an engine
  // that keeps none), a 137 after the full grace period means the same.
  const killed = kills.length ? kills.some(isSigkill) : exited.exitCode === 137 && requestMs >= G * 1000;
  const bands = stopBands(G, timing.engineLatencyMs ?? 0);
  const timings: Record<string, number> = {
    startedAtMs: container.started.atMs - t0,
    stopRequestedAtMs: requested.atMs - t0,
    stopDurationMs,
    stopRequestMs: requestMs,
    graceMs: G * 1000,
    ...bands,
  };
  if (timing.killAfterMs !== null) timings.killAfterMs = timing.killAfterMs;
  if (timing.engineLatencyMs !== null) timings.engineLatencyMs = timing.engineLatencyMs;
  return {
    observed: { exitCode: exited.exitCode, stopDurationMs, killed },
    evidence: {
      exitCode: exited.exitCode,
      logs: await container.logs(),
      events: kills,
      // The engine records an OOM kill as an event and as a flag; on a busy engine the
      // flag can be set after the exit was reported, the event is in the run's log.
      state: { ...exited.state(), oomKilled: exited.oomKilled || events.some((e) => e.action === 'oom') },
      timings,
    },
    grace: { seconds: G, why: lengthenedGrace(ctx.graceSeconds, G, latencyMs) },
  };
}

/**
 * graceful-stop: stop the container with a grace period and judge by outcome (did the
 * process exit before the grace period ran out, and with which code), never by "the
 * signal was delivered".
 */
function gracefulStop(ctx: CheckContext, subject: Subject): Promise<Observation<GracefulStopObserved>> {
  const G = ctx.graceSeconds;
  return scenario<GracefulStopObserved>(
    ctx,
    subject,
    {
      check: 'graceful-stop',
      scenario: null,
      did: `started ${subject.name}, stopped it through the engine with a ${G} s grace period`,
      empty: { exitCode: null, stopDurationMs: null, killed: null },
    },
    async (container, t0, ready, alone) => {
      // A certification's other scenarios start, stop and are removed beside this one:
      // the stop is timed once they are gone, so they never slow the stop judged.
      const quiet = await alone();
      // mutant: ignores the engine's SIGKILL events
      // => const { observed: measured, evidence, grace } = await measureStop(ctx, container, t0);
      // => const observed = { ...measured, killed: false };
      const { observed, evidence, grace } = await measureStop(ctx, container, t0);
      if (quiet.waitedMs > 0 || !quiet.alone)
        evidence.notes = [
          ...(evidence.notes ?? []),
          quiet.alone
            ? `stopped once the image's other scenario containers were gone (waited ${Math.round(quiet.waitedMs)} ms)`
            : `stopped with the image's other scenario containers still there after ${Math.round(quiet.waitedMs)} ms`,
        ];
      const pass = !observed.killed && observed.stopDurationMs < grace.seconds * 1000;
      // What PID 1 does with the stop signal, when a snapshot at readiness says: one that
      // handles it (or takes it to pass on, as an init does) was too slow, not deaf to it.
      const pid1 = ready.snapshot?.processes.find((p) => p.pid === 1)?.masks;
      const handled =
        observed.killed &&
        pid1 &&
        ['caught', 'blocked'].includes(disposition(pid1, (await container.config()).stopSignal));
      return {
        verdict: pass ? 'pass' : 'fail',
        reason: handled
          ? `PID 1 takes the stop signal (it handles it), but the container did not exit in time: SIGKILL was needed after the ${grace.seconds} s grace period${grace.why} (exit ${observed.exitCode})`
          : observed.killed
            ? `the stop signal was not acted on: SIGKILL was needed after the ${grace.seconds} s grace period${grace.why} (exit ${observed.exitCode})`
            : `exited ${observed.exitCode} ${observed.stopDurationMs} ms after the stop request, within the ${grace.seconds} s grace period${grace.why}`,
        observed,
        evidence,
      };
    },
  );
}

export const gracefulStopCheck = defineCheck<GracefulStopObserved>({
  name: 'graceful-stop',
  description: 'stop with a grace period: exit code, duration, whether SIGKILL was needed',
  does: 'engine stop with grace G',
  observes:
    "exit code, stop signal to die on the engine's event clock, whether the engine sent SIGKILL (its event log)",
  remedy:
    'The container did not exit on its stop signal within the grace period, so the engine (or the kubelet) SIGKILLed it and in-flight work was lost. Make the program PID 1 (exec form) or forward signals through an init, and handle SIGTERM (or declare the STOPSIGNAL it handles).',
  fixedByExecForm: true,
  fromDockerfile: (d) =>
    d.signalled('so the engine SIGKILLs after the grace period', 'it stops in time only if it handles SIGTERM'),
  scenarios: [null],
  slow: true,
  run: (ctx, subject) => gracefulStop(ctx, subject),
  /** Whether SIGTERM stops the program before the grace period, and with which code. */
  expected({ facts, program }) {
    if (!stopsOnTerm(facts, program)) return { exitCode: 137, killed: true };
    return { exitCode: program === 'aware' ? 0 : 143, killed: false };
  },
  figure: (o) => `${o.exitCode} in ${((o.stopDurationMs ?? 0) / 1000).toFixed(2)}s${o.killed ? ' KILL' : ''}`,
  stopBar: (o) =>
    typeof o.stopDurationMs === 'number'
      ? { stopDurationMs: o.stopDurationMs, killed: !!o.killed, exitCode: o.exitCode }
      : undefined,
  certify: {
    question: 'stopped with the grace period: exits on its stop signal in time?',
    scenarios: [null],
    expectation: (policy) =>
      `exits on its stop signal within ${policy.maxStopSeconds} s of a ${policy.graceSeconds} s grace period, no SIGKILL, exit code one of ${policy.acceptedExitCodes.join(', ')}`,
    judge(o, policy) {
      const obs = o.observed;
      if (obs.killed) return { verdict: 'fail', reason: o.reason };
      // The stop-time limit belongs to the grace period: when the machine was too busy to
      // judge that grace period and the stop got a longer one, the limit gets the same
      // allowance, so the harness's own load never turns a quick stop into a slow one.
      const usedMs = o.evidence.timings?.graceMs;
      const stretch = typeof usedMs === 'number' ? Math.max(1, usedMs / (policy.graceSeconds * 1000)) : 1;
      const limitMs = policy.maxStopSeconds * 1000 * stretch;
      if (typeof obs.stopDurationMs === 'number' && obs.stopDurationMs > limitMs)
        return {
          verdict: 'fail',
          reason: `${o.reason}, but slower than the policy's ${policy.maxStopSeconds} s${stretch > 1 ? ` (${(limitMs / 1000).toFixed(1)} s with the same allowance as the grace period)` : ''}`,
        };
      if (obs.exitCode === null || !policy.acceptedExitCodes.includes(obs.exitCode))
        return {
          verdict: 'fail',
          reason: `${o.reason}; exit code ${obs.exitCode} is not accepted (${policy.acceptedExitCodes.join(', ')})`,
        };
      return { verdict: 'pass', reason: o.reason };
    },
  },
});

/**
 * Whether the stop signal (SIGTERM) stops a catalogue subject before the grace period:
 * a shell PID 1 neither acts on it nor forwards it; a program that is PID 1 acts on it
 * only with a handler (aware); a trap or an init passes it on.
 */
export function stopsOnTerm(facts: VariantFacts, program: string): boolean {
  if (facts.role === 'shell') return false;
  if (facts.role === 'program') return program === 'aware';
  return true;
}
