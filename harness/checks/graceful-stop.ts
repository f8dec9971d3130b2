import { engineStopTiming, isSigkill, stopBands } from '../observe/stop-timing.js';
import type { RunningContainer } from '../run/container.js';
import { scenario } from './common.js';
import type { Evidence, Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

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
): Promise<{ observed: { exitCode: number; stopDurationMs: number; killed: boolean }; evidence: Evidence }> {
  const { requested, exited, requestMs } = await container.stop(ctx.graceSeconds);
  const events = await container.events((es) => es.some((e) => e.action === 'die'), 'its die event');
  const kills = events.filter((e) => e.action === 'kill');
  const timing = engineStopTiming(events);
  const stopDurationMs = timing.stopDurationMs ?? requestMs;
  // The engine's event log says which signals it sent; without kill events (an engine
  // that keeps none), a 137 after the full grace period means the same.
  const killed = kills.length ? kills.some(isSigkill) : exited.exitCode === 137 && requestMs >= ctx.graceSeconds * 1000;
  const bands = stopBands(ctx.graceSeconds, timing.engineLatencyMs ?? 0);
  const timings: Record<string, number> = {
    startedAtMs: container.started.atMs - t0,
    stopRequestedAtMs: requested.atMs - t0,
    stopDurationMs,
    stopRequestMs: requestMs,
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
      state: exited.state(),
      timings,
    },
  };
}

/**
 * graceful-stop: stop the container with a grace period and judge by outcome (did the
 * process exit before the grace period ran out, and with which code), never by "the
 * signal was delivered".
 */
export function gracefulStop(ctx: CheckContext, subject: Subject): Promise<Observation<GracefulStopObserved>> {
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
    async (container, t0) => {
      const { observed, evidence } = await measureStop(ctx, container, t0);
      const pass = !observed.killed && observed.stopDurationMs < G * 1000;
      return {
        verdict: pass ? 'pass' : 'fail',
        reason: observed.killed
          ? `the stop signal was not acted on: SIGKILL was needed after the ${G} s grace period (exit ${observed.exitCode})`
          : `exited ${observed.exitCode} ${observed.stopDurationMs} ms after the stop request, within the ${G} s grace period`,
        observed,
        evidence,
      };
    },
  );
}
