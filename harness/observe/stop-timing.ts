import type { EngineEvent } from '../engine/events.js';

const KILL_SIGNALS = new Set(['9', 'SIGKILL', 'KILL']);

export const isSigkill = (e: EngineEvent): boolean =>
  e.action === 'kill' && KILL_SIGNALS.has(e.attributes.signal ?? '');

/** A stop as the engine's own event clock tells it (one clock: engine time minus engine time). */
export interface EngineStopTiming {
  /** The stop signal's kill event to the die event, ms. */
  stopDurationMs: number | null;
  /** The stop signal's kill event to the SIGKILL's, ms, when the engine had to send one. */
  killAfterMs: number | null;
  /** The container's create event to its start event, ms: the engine's latency right now. */
  engineLatencyMs: number | null;
}

const ms = (from: EngineEvent | undefined, to: EngineEvent | undefined) =>
  from && to ? Math.round((to.timeNano - from.timeNano) / 1e4) / 100 : null;

export function engineStopTiming(events: readonly EngineEvent[]): EngineStopTiming {
  const first = (action: string, after?: EngineEvent) =>
    events.find((e) => e.action === action && (!after || e.timeNano >= after.timeNano));
  const signal = events.find((e) => e.action === 'kill' && !isSigkill(e)) ?? events.find((e) => e.action === 'kill');
  const sigkill = signal ? events.find((e) => isSigkill(e) && e.timeNano >= signal.timeNano) : undefined;
  return {
    stopDurationMs: ms(signal, first('die', signal)),
    killAfterMs: sigkill && sigkill !== signal ? ms(signal, sigkill) : null,
    engineLatencyMs: ms(first('create'), first('start')),
  };
}

/**
 * How many times the engine's start latency of a container the grace period of its stop
 * must be, at least. On a busy machine everything slows together: measured with both
 * cores kept busy and 8 containers in flight, create-to-start took 1.4-3.7 s and a
 * program that handles SIGTERM took up to 0.42 times that to be seen dead. A fixed 2 s
 * grace then cannot tell a slow program from a deaf one; three times the latency keeps
 * a margin of seven over that.
 */
export const GRACE_PER_LATENCY = 3;

/**
 * The grace period a stop is carried out with: the one asked for, lengthened to whole
 * seconds when the engine's start latency of the same container says the machine is
 * too busy to judge it (see GRACE_PER_LATENCY). A quiet machine keeps the one asked for.
 */
export function judgedGraceSeconds(graceSeconds: number, engineLatencyMs: number | null): number {
  if (engineLatencyMs === null || !(engineLatencyMs > 0)) return graceSeconds;
  return Math.max(graceSeconds, Math.ceil((GRACE_PER_LATENCY * engineLatencyMs) / 1000));
}

/** Says why a stop's grace period is longer than the one asked for (empty when it is not). */
export function lengthenedGrace(asked: number, used: number, engineLatencyMs: number | null): string {
  return used > asked
    ? ` (lengthened from ${asked} s: the engine took ${Math.round(engineLatencyMs ?? 0)} ms to start this container, too busy a machine to judge ${asked} s)`
    : '';
}

/**
 * The bands a stop is judged against, from the grace period G and the engine latency L
 * measured on the same container in the same run (its create-to-start time), so a
 * slower or busier machine widens them in proportion:
 * - graceful: the program exits within half the grace period, plus twice L;
 * - killed: SIGKILL no earlier than G after the stop signal (the engine waited it out),
 *   the container gone within half a grace period plus twice L after that.
 */
export function stopBands(graceSeconds: number, engineLatencyMs: number) {
  const G = graceSeconds * 1000;
  const L = Math.max(0, engineLatencyMs);
  return {
    gracefulMaxMs: Math.round(G / 2 + 2 * L),
    killedMinMs: G,
    killedMaxMs: Math.round(G * 1.5 + 2 * L),
  };
}
