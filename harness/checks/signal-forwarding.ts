import type { LogLine } from '../observe/logs.js';
import { SIGNAL_NUMBERS, scenario, waitForLogs } from './common.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export interface SignalForwardingObserved {
  /** The program logged the signal, or died of it. */
  received: boolean | null;
  /**
   * How it was seen: "logged" (the sample program logs each signal), "died" (exit
   * 128+S, or its process gone from ps), "exited" (an arbitrary image: the container
   * exited on it, any code), or null.
   */
  how: 'logged' | 'died' | 'exited' | null;
  /** The container's exit code when it exited within the settle time. */
  exitCode: number | null;
}

/** How long a signal has to show an effect. */
const SETTLE_MS = 1500;

/**
 * signal-forwarding: send one signal to the container (to PID 1, as the engine does)
 * and see whether the program got it: it logs every signal it handles; a program that
 * keeps the default disposition dies of it instead, which shows as exit 128+S or as
 * its process gone from the process table.
 */
export function signalForwarding(
  ctx: CheckContext,
  subject: Subject,
  signal: string,
): Promise<Observation<SignalForwardingObserved>> {
  const number = SIGNAL_NUMBERS[signal] ?? 0;
  return scenario<SignalForwardingObserved>(
    ctx,
    subject,
    {
      check: 'signal-forwarding',
      scenario: signal,
      did: `started ${subject.name}, sent ${signal} to the container, watched for ${SETTLE_MS} ms`,
      empty: { received: null, how: null, exitCode: null },
    },
    async (container) => {
      const before = await container.ps(ctx.toolboxImage);
      const program = before.processes.find((p) => /app\.py/.test(p.args));
      await container.signal(signal);
      const logged = (lines: LogLine[]) => lines.some((l) => l.text === `signal ${signal}`);
      let exitCode: number | null = null;
      const { lines, matched } = await waitForLogs(container, (ls) => logged(ls), SETTLE_MS);
      let how: SignalForwardingObserved['how'] = matched ? 'logged' : null;
      const exited = await container.exitedYet();
      if (exited) exitCode = exited.exitCode;
      // An arbitrary image logs nothing we know: acting on the signal means exiting.
      if (!how && exited && !subject.readyLog) how = 'exited';
      const snapshots = [before];
      if (!how) {
        if (exited && exited.exitCode === 128 + number) how = 'died';
        else if (!exited && program) {
          const after = await container.ps(ctx.toolboxImage);
          snapshots.push(after);
          if (!after.processes.some((p) => p.pid === program.pid && !p.stat.startsWith('Z'))) how = 'died';
        }
      }
      const received = how !== null;
      return {
        verdict: received ? 'pass' : 'fail',
        reason: received
          ? how === 'logged'
            ? `the program logged ${signal}`
            : how === 'exited'
              ? `the container exited ${exitCode} on ${signal}`
              : `the program died of ${signal}${exitCode !== null ? ` (exit ${exitCode})` : ''}`
          : subject.readyLog
            ? `${signal} did not reach the program within ${SETTLE_MS} ms`
            : `the container did not act on ${signal} within ${SETTLE_MS} ms (still running)`,
        observed: { received, how, exitCode },
        evidence: { ps: snapshots, logs: lines, exitCode },
      };
    },
  );
}
