import { containerEvents } from '../engine/containers.js';
import { elapsedMs, monotonicMs } from '../observe/clock.js';
import { RunningContainer } from '../run/container.js';
import type { Observation, Verdict } from './observation.js';
import { startSubject } from './start.js';
import type { CheckContext, Subject } from './subject.js';

export interface GracefulStopObserved {
  exitCode: number | null;
  /** From the stop request to the engine's FinishedAt. */
  stopDurationMs: number | null;
  /** The engine had to send SIGKILL after the grace period. */
  killed: boolean | null;
  graceMs: number;
}

const KILL_SIGNALS = new Set(['9', 'SIGKILL', 'KILL']);

/**
 * Stop the container with a grace period and judge by outcome: did the process exit
 * before the grace period ran out, and with which code.
 */
export async function gracefulStop(ctx: CheckContext, subject: Subject): Promise<Observation<GracefulStopObserved>> {
  const t0 = monotonicMs();
  const graceMs = ctx.graceSeconds * 1000;
  const did = `started ${subject.name}, stopped it through the engine with a ${ctx.graceSeconds} s grace period`;
  let container: RunningContainer | undefined;
  try {
    container = await startSubject(ctx, subject, 'graceful-stop');
    const { requested, exited } = await container.stop(ctx.graceSeconds);
    const stopDurationMs = Math.round(exited.finishedAtMs - requested.wallMs);
    const events = await containerEvents(ctx.session, container.id, container.started.wallMs - 1000, Date.now());
    const kills = events.filter((e) => e.action === 'kill');
    const killed = kills.some((e) => KILL_SIGNALS.has(e.attributes.signal ?? ''));
    const observed: GracefulStopObserved = { exitCode: exited.exitCode, stopDurationMs, killed, graceMs };
    const verdict: Verdict = !killed && stopDurationMs < graceMs ? 'pass' : 'fail';
    const reason = killed
      ? `the stop signal was not acted on: SIGKILL was needed after the ${ctx.graceSeconds} s grace period (exit ${exited.exitCode})`
      : `exited ${exited.exitCode} ${stopDurationMs} ms after the stop request, within the ${ctx.graceSeconds} s grace period`;
    return {
      check: 'graceful-stop',
      subject: subject.name,
      variant: subject.variant,
      program: subject.program,
      scenario: null,
      did,
      verdict,
      reason,
      observed,
      evidence: {
        exitCode: exited.exitCode,
        logs: await container.logs(),
        events: kills,
        state: {
          startedAt: exited.startedAt,
          finishedAt: exited.finishedAt,
          exitCode: exited.exitCode,
          oomKilled: exited.oomKilled,
        },
        timings: { startedAtMs: container.started.atMs - t0, stopRequestedAtMs: requested.atMs - t0, stopDurationMs },
      },
      durationMs: elapsedMs(t0),
    };
  } catch (err) {
    return errorObservation('graceful-stop', subject, did, err, t0, {
      exitCode: null,
      stopDurationMs: null,
      killed: null,
      graceMs,
    });
  } finally {
    await container?.remove();
  }
}

export function errorObservation<O extends object>(
  check: string,
  subject: Subject,
  did: string,
  err: unknown,
  t0: number,
  observed: O,
  scenario: string | null = null,
): Observation<O> {
  const message = err instanceof Error ? err.message : String(err);
  return {
    check,
    subject: subject.name,
    variant: subject.variant,
    program: subject.program,
    scenario,
    did,
    verdict: 'error',
    reason: `the scenario could not be carried out: ${message.split('\n')[0]}`,
    observed,
    evidence: { notes: [message] },
    durationMs: elapsedMs(t0),
  };
}
