import { CERTIFY_CHECKS, checkByName } from '../checks/battery.js';
import type { Observation, Verdict } from '../checks/observation.js';
import type { CheckContext, SettledLead, Subject } from '../checks/subject.js';
import { BadInputError } from '../errors.js';
import type { Logger } from '../log.js';
import { inBackground, runSlowFirst } from '../run/pool.js';
import { QuietStop } from '../run/quiet-stop.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { Policy } from './policy.js';
import { preflight, type Preflight } from './preflight.js';

const PULL_TIMEOUT_MS = 20_000;

/** The image must be local, or pullable; a missing one is a one-line bad-input error. */
export async function resolveImage(runtime: ContainerRuntime, ref: string, log: Logger): Promise<void> {
  if (await runtime.imageId(ref)) return;
  log(`${ref} is not local: trying to pull it`);
  const failure = await runtime.pull(ref, PULL_TIMEOUT_MS);
  if (failure) throw new BadInputError(`image ${ref} is neither local nor pullable (${failure})`);
}

/** What the policy asks of a check, in words (for failure listings). */
export function policyExpectation(check: string, policy: Policy): string {
  return checkByName(check)?.certify?.expectation(policy) ?? '';
}

/** Re-judge an observation under the policy (the checks judge by good-practice defaults). */
export function judge(o: Observation<object>, policy: Policy): { verdict: Verdict; reason: string } {
  if (o.verdict === 'error' || o.verdict === 'skip') return { verdict: o.verdict, reason: o.reason };
  const judged = checkByName(o.check)?.certify?.judge;
  return judged ? judged(o, policy) : { verdict: o.verdict, reason: o.reason };
}

/**
 * An observation as the gate judges it under the policy: a check the policy does not
 * require says so; a required check does not pass on evidence the image could have
 * shaped alone, nor when it did not apply (a skip): either is an error, the image
 * cannot be certified on it.
 */
export function gateJudgement(o: Observation<object>, policy: Policy): Observation<object> {
  const required = policy.required.includes(o.check);
  const j = judge(o, policy);
  const shaped = o.evidence.shapeable ?? [];
  const expectation = policyExpectation(o.check, policy);
  if (required && j.verdict === 'skip')
    return { ...o, verdict: 'error', reason: `${j.reason} (the policy requires this check)`, required, expectation };
  if (required && j.verdict === 'pass' && shaped.length)
    return {
      ...o,
      verdict: 'error',
      reason: `${j.reason}; not certified on this alone: it rests on what the image could have shaped (${shaped.join('; ')})`,
      required,
      expectation,
    };
  return { ...o, ...j, required, expectation };
}

export interface Certification {
  preflight: Preflight;
  observations: Observation<object>[];
  /** Failed (or could not be run) checks the policy requires. */
  failures: Observation<object>[];
  errors: Observation<object>[];
  passed: boolean;
}

/**
 * The certify subject: the image as it is (entrypoint, command, user, STOPSIGNAL), with
 * what the policy's `run` section changes, as docker run would. `network` is the engine
 * network made for a policy that asks for an internal one.
 */
export function certifySubject(image: string, policy: Policy, network?: string): Subject {
  const readyLog = policy.startup.readyLog ? new RegExp(policy.startup.readyLog) : undefined;
  const run = policy.run;
  return {
    name: image,
    image,
    readyLog,
    // With both, readiness is the ready line (it is asked first); the port stays the
    // image's, for the checks that watch it (serves-during-drain).
    ...(policy.startup.readyPort ? { readyPort: policy.startup.readyPort } : {}),
    ...(run.env ? { env: run.env } : {}),
    ...(run.entrypoint ? { entrypoint: run.entrypoint } : {}),
    ...(run.cmd ? { cmd: run.cmd } : {}),
    ...(run.user ? { user: run.user } : {}),
    ...(run.init ? { init: true } : {}),
    ...(run.network === 'internal' && network ? { network } : {}),
    startupTimeoutMs: policy.startup.timeoutSeconds * 1000,
    minUpMs: readyLog ? 0 : policy.startup.settleSeconds * 1000,
  };
}

/** Run the battery against an image and judge it under the policy. */
export async function certifyImage(
  ctx: CheckContext,
  image: string,
  policy: Policy,
  /** Scenarios at once, or its measurement under way (the preflight does not wait for it). */
  concurrency: number | Promise<number>,
  onResult?: (o: Observation<object>, done: number, total: number) => void,
  network?: string,
): Promise<Certification> {
  if (policy.run.network === 'internal' && !network)
    throw new BadInputError('certify: the policy asks for an internal network, and none was made for it');
  const subject = certifySubject(image, policy, network);
  // The scenarios start beside the preflight (which starts first): an image that runs
  // loses no time to it. Without a ready line, no scenario is judged ready before the
  // preflight settled, and then as soon as it shows what the preflight settled on (the
  // preflight looks longer, once: a supervisor's first program comes a second late).
  // An image that cannot run ends its scenarios as it ends the preflight (the same exit,
  // the same missing ready line); their results are dropped.
  const lead: SettledLead = { value: policy.startup.readyLog ? null : undefined };
  const quietStop = new QuietStop();
  const preflightInFlight = quietStop.enter();
  const preflightRun = inBackground(preflight(ctx, subject, policy).finally(() => quietStop.leave(preflightInFlight)));
  const learned: Subject = { ...subject, settled: lead, quietStop };
  const units = CERTIFY_CHECKS.flatMap((check) =>
    (check.certify?.scenarios ?? []).map((scenario) => ({
      slow: check.slow,
      run: (): Promise<Observation<object>> =>
        check.certify?.run ? check.certify.run(ctx, learned, scenario, policy) : check.run(ctx, learned, scenario),
    })),
  );
  let reported = true;
  let bound: number;
  try {
    bound = await concurrency;
  } catch (err) {
    await preflightRun().catch(() => undefined);
    throw err;
  }
  const scenarios = inBackground(
    runSlowFirst(units, bound, (o, done, total) => {
      if (reported) onResult?.(o, done, total);
    }),
  );
  let pre: Preflight;
  try {
    const run = await preflightRun();
    lead.value = run.settled ?? null;
    pre = run.preflight;
  } catch (err) {
    lead.value = null;
    reported = false;
    await scenarios().catch(() => undefined);
    throw err;
  }
  const raw = await scenarios();
  const observations = raw.map((o) => gateJudgement(o, policy));
  const requiredOf = (o: Observation<object>) => policy.required.includes(o.check);
  const errors = observations.filter((o) => o.verdict === 'error' && requiredOf(o));
  const failures = observations.filter((o) => o.verdict === 'fail' && requiredOf(o));
  return { preflight: pre, observations, failures, errors, passed: !failures.length && !errors.length };
}
