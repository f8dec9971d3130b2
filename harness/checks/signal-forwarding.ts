import type { LogLine } from '../runtime/runtime.js';
import { atRest, disposition, type Disposition } from '../observe/signals.js';
import { signalNumber } from '../signals.js';
import { quietWindowMs, restingSnapshot, scenario, waitUntil } from './common.js';
import { defineCheck } from './definition.js';
import { FORWARDED_SIGNALS } from './forwarded-signals.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

export interface SignalForwardingObserved {
  /** The program logged the signal, or died of it. */
  received: boolean | null;
  /**
   * How it was seen: "logged" (the sample program logs each signal), "died" (exit
   * 128+S, or its process gone from ps), "exited" (an arbitrary image: the container
   * exited on it, any code), or null.
   */
  how: 'logged' | 'died' | 'exited' | null;
  /** The container's exit code when it exited while watched. */
  exitCode: number | null;
  /**
   * What PID 1 did with the signal when it was sent, from its masks. "default" or
   * "ignored": the kernel dropped it at once (PID 1 of a namespace), so nothing could
   * follow and nothing is waited for.
   */
  pid1: Disposition | null;
}

/**
 * signal-forwarding: send one signal to the container (to PID 1, as the engine does)
 * and see whether the program got it: it logs every signal it handles; a program that
 * keeps the default disposition dies of it instead, which shows as exit 128+S or as
 * its process gone from the process table.
 */
function signalForwarding(
  ctx: CheckContext,
  subject: Subject,
  signal: string,
): Promise<Observation<SignalForwardingObserved>> {
  const number = signalNumber(signal) ?? 0;
  return scenario<SignalForwardingObserved>(
    ctx,
    subject,
    {
      check: 'signal-forwarding',
      scenario: signal,
      did: `started ${subject.name}, sent ${signal} to the container once it was ready, watched for its effect`,
      empty: { received: null, how: null, exitCode: null, pid1: null },
    },
    async (container, _t0, ready) => {
      const first = ready.snapshot ?? (await container.ps(ctx.toolboxImage));
      // PID 1's disposition from a reading at rest; unknown (null) when it never rests.
      const before = (await restingSnapshot(ctx, container, first)) ?? first;
      const masks = before.processes.find((p) => p.pid === 1)?.masks;
      const pid1 = masks && atRest(masks) ? disposition(masks, signal) : null;
      // PID 1 with the signal at its default (or ignored): the kernel drops it on
      // sending, so there is no effect to wait for. Otherwise an effect may still be on
      // its way: watch for twice what this container took to become ready (at least
      // 1.5 s), so a slow machine is given time in proportion.
      const dropped = pid1 === 'default' || pid1 === 'ignored';
      const windowMs = dropped ? 0 : quietWindowMs(ready);
      const program = before.processes.find((p) => /app\.py/.test(p.args));
      await container.signal(signal);
      const logged = (lines: LogLine[]) => lines.some((l) => l.text === `signal ${signal}`);
      // Until the program logs it or the container exits (all its lines are then in).
      const watched = await waitUntil(windowMs, async () => {
        const done = await container.exitedYet();
        const ls = await container.logs();
        return done || logged(ls) ? { exited: done, lines: ls } : undefined;
      });
      let { exited, lines } = watched ?? { exited: await container.exitedYet(), lines: await container.logs() };
      const snapshots = [before];
      let programGone = false;
      if (!exited && !logged(lines) && program) {
        // Still running: is the program's process gone (it died of the signal)? The
        // container may exit while we look: then its exit says it.
        const after = await container.ps(ctx.toolboxImage).catch(async (err: unknown) => {
          exited = await container.exitedYet();
          if (!exited) throw err;
          lines = await container.logs();
          return undefined;
        });
        if (after) {
          snapshots.push(after);
          programGone = !after.processes.some((p) => p.pid === program.pid && !p.stat.startsWith('Z'));
        }
      }
      const exitCode = exited ? exited.exitCode : null;
      let how: SignalForwardingObserved['how'] = logged(lines) ? 'logged' : null;
      // An image other than the sample program logs nothing we know (even with a ready
      // line of its own): acting on the signal means exiting.
      if (!how && exited && !subject.variant) how = 'exited';
      // mutant: does not count a program that died of the signal
      if (!how && ((exited && exited.exitCode === 128 + number) || programGone)) how = 'died';
      const received = how !== null;
      return {
        verdict: received ? 'pass' : 'fail',
        reason: received
          ? how === 'logged'
            ? `the program logged ${signal}`
            : how === 'exited'
              ? `the container exited ${exitCode} on ${signal}`
              : `the program died of ${signal}${exitCode !== null ? ` (exit ${exitCode})` : ''}`
          : dropped
            ? `PID 1 leaves ${signal} at its ${pid1 === 'ignored' ? 'ignored' : 'default'} disposition: the kernel drops it (PID 1 of a namespace), it never reaches the program`
            : subject.variant
              ? `${signal} did not reach the program within ${windowMs} ms`
              : `the container did not act on ${signal} within ${windowMs} ms (still running)`,
        observed: { received, how, exitCode, pid1 },
        evidence: { ps: snapshots, logs: lines, exitCode, timings: { quietWindowMs: windowMs } },
      };
    },
  );
}

export const signalForwardingCheck = defineCheck<SignalForwardingObserved>({
  name: 'signal-forwarding',
  description: 'whether each signal sent to the container reaches the program',
  does: 'TERM, INT, HUP, QUIT, USR1, USR2, WINCH, one fresh container each',
  observes: "whether the program logged it, or died of it; PID 1's disposition of it when sent",
  remedy:
    'The program never saw the signal: a shell-form CMD or an entrypoint script without `exec` keeps it. Use the exec form, `exec "$@"`, or an init that forwards signals (tini, dumb-init).',
  fixedByExecForm: true,
  fromDockerfile: (d) =>
    d.signalled('so the program never sees it', 'it acts on SIGTERM only if it installs a handler'),
  scenarios: FORWARDED_SIGNALS,
  slow: false,
  run: (ctx, subject, sc) => signalForwarding(ctx, subject, sc ?? 'SIGTERM'),
  expected({ facts, program }, signal) {
    if (!FORWARDED_SIGNALS.includes(signal as (typeof FORWARDED_SIGNALS)[number])) return undefined;
    return { received: reaches(facts.role, program, signal ?? '') };
  },
  figure: (o) => (o.received === true ? 'recv' : 'lost'),
  certify: {
    question: 'does it act on SIGTERM and SIGINT?',
    scenarios: ['SIGTERM', 'SIGINT'],
    expectation: () => 'acts on the signal (exits)',
  },
});

/** Whether a signal sent to a catalogue subject reaches its program. */
function reaches(role: string, program: string, signal: string): boolean {
  if (role === 'shell') return false;
  if (role === 'init') return true;
  if (role === 'trap') {
    // Only the trapped TERM and INT are forwarded. The naive program does not get INT:
    // bash starts background jobs with SIGINT ignored, and Python keeps an inherited
    // SIG_IGN instead of installing its KeyboardInterrupt handler.
    return signal === 'SIGTERM' || (signal === 'SIGINT' && program === 'aware');
  }
  // The program is PID 1: the kernel delivers only signals it has a handler for. The
  // naive program has two: Python's own SIGINT handler (KeyboardInterrupt, so it dies
  // with 130) and the SIGWINCH logger.
  return program === 'aware' || signal === 'SIGINT' || signal === 'SIGWINCH';
}
