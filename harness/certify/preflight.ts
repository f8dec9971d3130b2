import type { CheckContext, Subject } from '../checks/subject.js';
import { ImageNotRunnableError } from '../errors.js';
import { elapsedMs, monotonicMs } from '../observe/clock.js';
import { awaitReady, PREFLIGHT_SPAN_MS, startSubject } from '../checks/common.js';
import type { Policy } from './policy.js';

export interface Preflight {
  /** From start to ready: the ready line, or its signal masks settled. */
  readyAfterMs: number;
  /** PID 1 as the engine started it (entrypoint + command). */
  command: string[];
  user: string;
  stopSignal: string;
}

/** The preflight and what the scenarios learn from it. */
export interface PreflightRun {
  preflight: Preflight;
  /** Without a ready line: what it settled on, and when (see Subject.settled). */
  settled?: { shape: string; afterMs: number };
}

const tail = (lines: { text: string }[]) =>
  lines
    .slice(-10)
    .map((l) => `  | ${l.text}`)
    .join('\n');

/**
 * Start the image once, as it is, and wait until it is ready: it printed the policy's
 * ready line, or (without one) its processes' signal masks settled (and it stayed up
 * for the policy's settle time, if any). An image that exits first, or is not ready
 * within the startup timeout, is reported with what was seen.
 */
export async function preflight(ctx: CheckContext, subject: Subject, policy: Policy): Promise<PreflightRun> {
  const t0 = monotonicMs();
  const timeoutMs = policy.startup.timeoutSeconds * 1000;
  const ready = policy.startup.readyLog ? new RegExp(policy.startup.readyLog) : null;
  // Started as every scenario starts it (its env, command, user, network), the ready
  // line read here so an early exit is seen at once.
  const container = await startSubject(ctx, { ...subject, readyLog: undefined }, 'preflight', {
    purpose: 'preflight',
  });
  const exitedEarly = async () => {
    const exited = await container.exitedYet();
    if (!exited) return;
    const logs = await container.logs();
    throw new ImageNotRunnableError(
      `${subject.image} exits before the battery can start: it exited with code ${exited.exitCode} ${Math.round(elapsedMs(t0))} ms after start (a crash loop under an orchestrator)`,
      { detail: logs.length ? `last lines it printed:\n${tail(logs)}` : 'it printed nothing' },
    );
  };
  try {
    const cfg = await container.config();
    const facts = {
      command: [...cfg.entrypoint, ...cfg.cmd],
      user: cfg.user || 'root (image sets no USER)',
      stopSignal: cfg.stopSignal,
    };
    if (!ready) {
      let settled: PreflightRun['settled'];
      try {
        const r = await awaitReady(ctx, { ...subject, readyLog: undefined }, container, t0, PREFLIGHT_SPAN_MS);
        if (r.shape !== undefined) settled = { shape: r.shape, afterMs: monotonicMs() - container.runningAtMs };
      } catch (err) {
        await exitedEarly();
        throw new ImageNotRunnableError(
          `${subject.image} did not become ready within ${policy.startup.timeoutSeconds} s: ${(err as Error).message}`,
        );
      }
      await exitedEarly();
      return { preflight: { readyAfterMs: elapsedMs(t0), ...facts }, ...(settled ? { settled } : {}) };
    }
    for (;;) {
      await exitedEarly();
      const logs = await container.logs();
      if (logs.some((l) => ready.test(l.text))) return { preflight: { readyAfterMs: elapsedMs(t0), ...facts } };
      // The startup timeout counts from when the engine had it running (see awaitReady).
      if (monotonicMs() - container.runningAtMs >= timeoutMs) {
        throw new ImageNotRunnableError(
          `${subject.image} did not become ready within ${policy.startup.timeoutSeconds} s: it is running but never printed a line matching /${policy.startup.readyLog}/ (raise startup.timeoutSeconds for a slow start)`,
          { detail: logs.length ? `last lines it printed:\n${tail(logs)}` : 'it printed nothing' },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await container.remove();
  }
}
