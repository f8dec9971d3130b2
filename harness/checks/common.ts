import { elapsedMs, monotonicMs } from '../observe/clock.js';
import type { LogLine } from '../observe/logs.js';
import { RunningContainer } from '../run/container.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

/** Start a fresh container of the subject for one scenario of one check. */
export async function startSubject(
  ctx: CheckContext,
  subject: Subject,
  check: string,
  overrides: { env?: Record<string, string>; image?: string; scenario?: string | null } = {},
): Promise<RunningContainer> {
  const container = await RunningContainer.start(ctx.session, {
    image: overrides.image ?? subject.image,
    purpose: 'subject',
    labels: {
      'io.harness.check': check,
      'io.harness.subject': subject.name,
      ...(subject.variant ? { 'io.harness.variant': subject.variant } : {}),
      ...(overrides.scenario ? { 'io.harness.scenario': overrides.scenario } : {}),
    },
    env: { ...subject.env, ...overrides.env },
    init: subject.init,
    readyLog: subject.readyLog,
    startupTimeoutMs: subject.startupTimeoutMs,
  });
  if (subject.settleMs) await new Promise((r) => setTimeout(r, subject.settleMs));
  return container;
}

/** The fields every observation of a subject shares. */
export function base(subject: Subject, check: string, scenario: string | null, did: string) {
  return { check, subject: subject.name, variant: subject.variant, program: subject.program, scenario, did };
}

/**
 * Run one scenario in a fresh container: `body` does the acting and observing; the
 * container is removed afterwards whatever happens, and an engine failure becomes an
 * `error` observation, never a thrown exception.
 */
export async function scenario<O extends object>(
  ctx: CheckContext,
  subject: Subject,
  meta: { check: string; scenario: string | null; did: string; env?: Record<string, string>; image?: string; empty: O },
  body: (
    container: RunningContainer,
    t0: number,
  ) => Promise<Omit<Observation<O>, 'check' | 'subject' | 'variant' | 'program' | 'scenario' | 'did' | 'durationMs'>>,
): Promise<Observation<O>> {
  const t0 = monotonicMs();
  let container: RunningContainer | undefined;
  try {
    container = await startSubject(ctx, subject, meta.check, meta);
    const result = await body(container, t0);
    return { ...base(subject, meta.check, meta.scenario, meta.did), ...result, durationMs: elapsedMs(t0) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ...base(subject, meta.check, meta.scenario, meta.did),
      verdict: 'error',
      reason: `the scenario could not be carried out: ${message.split('\n')[0]}`,
      observed: meta.empty,
      evidence: { notes: [message] },
      durationMs: elapsedMs(t0),
    };
  } finally {
    await container?.remove().catch(() => undefined);
  }
}

/** Poll the container's logs until `predicate` holds or `timeoutMs` passes. */
export async function waitForLogs(
  container: RunningContainer,
  predicate: (lines: LogLine[]) => boolean,
  timeoutMs: number,
  pollMs = 100,
): Promise<{ lines: LogLine[]; matched: boolean }> {
  const deadline = monotonicMs() + timeoutMs;
  for (;;) {
    const lines = await container.logs();
    if (predicate(lines)) return { lines, matched: true };
    if (monotonicMs() >= deadline) return { lines, matched: false };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
  SIGWINCH: 28,
};

export function signalName(n: number): string | undefined {
  return Object.entries(SIGNAL_NUMBERS).find(([, v]) => v === n)?.[0];
}
