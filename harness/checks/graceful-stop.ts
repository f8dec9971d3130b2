import { containerEvents } from '../engine/containers.js';
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

const KILL_SIGNALS = new Set(['9', 'SIGKILL', 'KILL']);

/** Stop through the engine and measure the outcome: exit code, duration, SIGKILL or not. */
export async function measureStop(
  ctx: CheckContext,
  container: RunningContainer,
  t0: number,
): Promise<{ observed: { exitCode: number; stopDurationMs: number; killed: boolean }; evidence: Evidence }> {
  const { requested, exited } = await container.stop(ctx.graceSeconds);
  const stopDurationMs = Math.round(exited.finishedAtMs - requested.wallMs);
  const events = await containerEvents(ctx.session, container.id, container.started.wallMs - 1000, Date.now());
  const kills = events.filter((e) => e.action === 'kill');
  // The engine's event log says which signals it sent; without events (an engine that
  // keeps none), a 137 after the full grace period means the same.
  const killed = kills.length
    ? kills.some((e) => KILL_SIGNALS.has(e.attributes.signal ?? ''))
    : exited.exitCode === 137 && stopDurationMs >= ctx.graceSeconds * 1000;
  return {
    observed: { exitCode: exited.exitCode, stopDurationMs, killed },
    evidence: {
      exitCode: exited.exitCode,
      logs: await container.logs(),
      events: kills,
      state: exited.state(),
      timings: { startedAtMs: container.started.atMs - t0, stopRequestedAtMs: requested.atMs - t0, stopDurationMs },
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
