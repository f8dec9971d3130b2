import { exitCodeOnStopSignal } from '../checks/exit-code.js';
import { gracefulStop } from '../checks/graceful-stop.js';
import type { Observation, Verdict } from '../checks/observation.js';
import { pid1 } from '../checks/pid1.js';
import { signalForwarding } from '../checks/signal-forwarding.js';
import type { CheckContext, Subject } from '../checks/subject.js';
import { zombieReaping } from '../checks/zombie-reaping.js';
import { BadInputError } from '../errors.js';
import { imageId, pullImage } from '../engine/images.js';
import type { Logger } from '../log.js';
import { runPool } from '../run/pool.js';
import type { CertifyCheck, Policy } from './policy.js';
import { preflight, type Preflight } from './preflight.js';

const PULL_TIMEOUT_MS = 20_000;

/** The image must be local, or pullable; a missing one is a one-line bad-input error. */
export async function resolveImage(ctx: CheckContext, ref: string, log: Logger): Promise<void> {
  if (await imageId(ctx.session, ref)) return;
  log(`${ref} is not local: trying to pull it`);
  const failure = await pullImage(ctx.session, ref, PULL_TIMEOUT_MS);
  if (failure) throw new BadInputError(`image ${ref} is neither local nor pullable (${failure})`);
}

/** What the policy asks of each check, in words (for failure listings). */
export function policyExpectation(check: string, policy: Policy): string {
  switch (check) {
    case 'graceful-stop':
      return `exits on its stop signal within ${policy.maxStopSeconds} s of a ${policy.graceSeconds} s grace period, no SIGKILL, exit code one of ${policy.acceptedExitCodes.join(', ')}`;
    case 'exit-code':
      return `exit code on its stop signal one of ${policy.acceptedExitCodes.join(', ')}`;
    case 'zombie-reaping':
      return policy.allowZombies ? 'zombies allowed' : 'no zombie left after an orphan exits';
    case 'signal-forwarding':
      return 'acts on the signal (exits)';
    case 'pid1':
      return 'PID 1 is not a shell';
    default:
      return '';
  }
}

/** Re-judge an observation under the policy (the checks judge by good-practice defaults). */
export function judge(o: Observation<object>, policy: Policy): { verdict: Verdict; reason: string } {
  if (o.verdict === 'error' || o.verdict === 'skip') return { verdict: o.verdict, reason: o.reason };
  const obs = o.observed as Record<string, unknown>;
  const accepted = (code: unknown) => typeof code === 'number' && policy.acceptedExitCodes.includes(code);
  switch (o.check) {
    case 'graceful-stop': {
      const tooSlow = typeof obs.stopDurationMs === 'number' && obs.stopDurationMs > policy.maxStopSeconds * 1000;
      if (obs.killed) return { verdict: 'fail', reason: o.reason };
      if (tooSlow)
        return { verdict: 'fail', reason: `${o.reason}, but slower than the policy's ${policy.maxStopSeconds} s` };
      if (!accepted(obs.exitCode))
        return {
          verdict: 'fail',
          reason: `${o.reason}; exit code ${obs.exitCode} is not accepted (${policy.acceptedExitCodes.join(', ')})`,
        };
      return { verdict: 'pass', reason: o.reason };
    }
    case 'exit-code':
      return accepted(obs.exitCode) ? { verdict: 'pass', reason: o.reason } : { verdict: 'fail', reason: o.reason };
    case 'zombie-reaping':
      return policy.allowZombies && o.verdict === 'fail'
        ? { verdict: 'pass', reason: `${o.reason} (allowed by the policy)` }
        : { verdict: o.verdict, reason: o.reason };
    default:
      return { verdict: o.verdict, reason: o.reason };
  }
}

export interface Certification {
  preflight: Preflight;
  observations: Observation<object>[];
  /** Failed (or could not be run) checks the policy requires. */
  failures: Observation<object>[];
  errors: Observation<object>[];
  passed: boolean;
}

/** The certify subject: the image exactly as it is (entrypoint, command, user, STOPSIGNAL). */
export function certifySubject(image: string, policy: Policy): Subject {
  const readyLog = policy.startup.readyLog ? new RegExp(policy.startup.readyLog) : undefined;
  return {
    name: image,
    image,
    readyLog,
    startupTimeoutMs: policy.startup.timeoutSeconds * 1000,
    minUpMs: readyLog ? 0 : policy.startup.settleSeconds * 1000,
  };
}

/** Run the battery against an image and judge it under the policy. */
export async function certifyImage(
  ctx: CheckContext,
  image: string,
  policy: Policy,
  concurrency: number,
  onResult?: (o: Observation<object>, done: number, total: number) => void,
): Promise<Certification> {
  const subject = certifySubject(image, policy);
  const pre = await preflight(ctx, subject, policy);
  const units: { check: CertifyCheck; run: () => Promise<Observation<object>> }[] = [
    { check: 'graceful-stop', run: () => gracefulStop(ctx, subject) },
    { check: 'exit-code', run: () => exitCodeOnStopSignal(ctx, subject, policy.acceptedExitCodes) },
    { check: 'pid1', run: () => pid1(ctx, subject) },
    { check: 'zombie-reaping', run: () => zombieReaping(ctx, subject, 'injected') },
    { check: 'signal-forwarding', run: () => signalForwarding(ctx, subject, 'SIGTERM') },
    { check: 'signal-forwarding', run: () => signalForwarding(ctx, subject, 'SIGINT') },
  ];
  const raw = await runPool(
    units.map((u) => u.run),
    concurrency,
    onResult,
  );
  const observations = raw.map((o) => {
    const required = policy.required.includes(o.check as CertifyCheck);
    const j = judge(o, policy);
    return {
      ...o,
      ...j,
      reason: required || j.verdict === 'pass' ? j.reason : `${j.reason} (not required by the policy)`,
    };
  });
  const requiredOf = (o: Observation<object>) => policy.required.includes(o.check as CertifyCheck);
  const errors = observations.filter((o) => o.verdict === 'error' && requiredOf(o));
  const failures = observations.filter((o) => o.verdict === 'fail' && requiredOf(o));
  return { preflight: pre, observations, failures, errors, passed: !failures.length && !errors.length };
}
