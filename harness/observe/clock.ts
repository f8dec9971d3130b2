/** Monotonic milliseconds, for durations that must not jump with the wall clock. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function elapsedMs(sinceMonotonicMs: number): number {
  return Math.round((monotonicMs() - sinceMonotonicMs) * 10) / 10;
}

/**
 * Milliseconds since the epoch from an engine timestamp such as
 * "2026-11-26T15:15:50.545215655Z", keeping the sub-millisecond digits.
 */
export function engineTimeMs(timestamp: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(timestamp);
  if (!m) return Number.NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + frac;
}

/** The engine reports "0001-01-01T00:00:00Z" for a time that has not happened. */
export function engineTimeSet(timestamp: string | undefined): boolean {
  return !!timestamp && !timestamp.startsWith('0001-');
}
