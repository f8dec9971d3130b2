/**
 * The certification gate as one function, called by `harness certify` and by the
 * library's certifyImage alike: one set of inputs (images, policy, run options, grace)
 * gives one verdict, one exit code and one report, whichever door they came through.
 */
import { CERTIFY_CHECKS } from '../checks/battery.js';
import type { Observation } from '../checks/observation.js';
import type { CheckContext } from '../checks/subject.js';
import { evidenceLine } from '../certify/evidence.js';
import { verdictLines } from './verdict-lines.js';
import { checkImageRef } from '../certify/image-ref.js';
import { certifyImage, policyExpectation, resolveImage, type Certification } from '../certify/gate.js';
import type { Policy } from '../certify/policy.js';
import { describeRunOptions, mergeRunOptions, type RunOptions } from '../certify/run-options.js';
import { reviewDockerfile, verifyFix } from '../certify/verify-fix.js';
import { INIT_PATHS } from '../certify/dockerfile.js';
import { CertifyIncompleteError, EngineUnavailableError, HarnessError } from '../errors.js';
import type { Logger } from '../log.js';
import { measureLoad, type Prepared } from '../prepare.js';
import { buildReport } from '../report/build.js';
import { shownVerdict, type CertifiedImage, type Report } from '../report/model.js';
import { deferredLimiter, describeLoad, runLimiter, type LoadInfo } from '../run/load.js';
import { registerSecrets } from '../secrets.js';

/**
 * The policy in effect: the policy file's (or the default), the run options given on top
 * of its run section, and a grace period given on top of its own. A grace period below
 * the policy's maximum stop time lowers that maximum to it (a stop cannot be judged
 * against more time than it is given). Every value of the image's environment becomes a
 * secret of this process (see secrets.ts).
 */
export function resolvePolicy(base: Policy, options: RunOptions = {}, graceSeconds?: number): Policy {
  const { readyLog, readyPort, ...run } = options;
  const policy: Policy = { ...base, run: mergeRunOptions(base.run, run), startup: { ...base.startup } };
  if (readyLog !== undefined) policy.startup = { ...policy.startup, readyLog, readyPort: null };
  if (readyPort !== undefined) policy.startup = { ...policy.startup, readyPort, readyLog: null };
  if (graceSeconds !== undefined) {
    policy.graceSeconds = graceSeconds;
    policy.maxStopSeconds = Math.min(policy.maxStopSeconds, graceSeconds);
  }
  registerSecrets(policy.run.env);
  return policy;
}

/** The policy as a report shows it: the environment's names only, never a value. */
export function policyForReport(policy: Policy): Record<string, unknown> {
  const { env, ...run } = policy.run;
  return { ...policy, run: { ...run, ...(env ? { envNames: Object.keys(env).sort() } : {}) } };
}

/** One image's outcome: its exit code (0 pass, 1 fail, 2 could not be certified) and why. */
export interface ImageOutcome {
  image: string;
  code: 0 | 1 | 2;
  summary: string;
  observations: Observation<object>[];
  preflight?: Certification['preflight'];
  /** Why it could not be certified. */
  error?: HarnessError;
  certification?: Certification;
  dockerfile?: CertifiedImage['dockerfile'];
}

export interface DockerfileInput {
  dockerfile: string;
  contextDir: string;
  verify: boolean;
  buildArgs: Record<string, string>;
}

export interface CertifyRequest {
  images: string[];
  policy: Policy;
  /** Where the policy came from, for the lines printed ("default" when none). */
  policySource?: string;
  /** Scenarios at once; unset: from the cores and the engine's start latency. */
  concurrency?: number;
  /** The Dockerfile cross-check (one image). */
  dockerfile?: DockerfileInput;
  /** The lines a user reads (what passed, what failed and why). */
  say: (line: string) => void;
  /** Progress and diagnostics. */
  log: Logger;
  /** Progress of one image's scenarios. */
  progress?: (image: string) => (done: number, total: number, detail: string) => void;
}

export interface CertifyResult {
  outcomes: ImageOutcome[];
  report: Report;
  /** 0 every image passes, 1 one fails, 2 one could not be certified: the worst. */
  exitCode: 0 | 1 | 2;
  load: LoadInfo;
}

export async function certify(ready: Prepared, req: CertifyRequest): Promise<CertifyResult> {
  const { policy } = req;
  for (const image of req.images) checkImageRef(image, 'certify');
  // The engine's latency is measured while the first image's preflight runs (a run
  // needs it only once its scenarios start): the preflight is one container, always
  // within any bound, and the scenarios wait for the measurement.
  const measuring = measureLoad(ready.runtime, ready.toolbox.tag, req.concurrency);
  const limiting = measuring.then((measured) => {
    req.log(`scenario containers in flight: ${describeLoad(measured)}`);
    return { measured, ...runLimiter(measured, policy.graceSeconds) };
  });
  // Nothing awaits it before the first image's scenarios: a failed measurement is
  // reported there (or at the end), never as an unhandled rejection.
  limiting.catch(() => undefined);
  const concurrency = limiting.then((l) => l.measured.concurrency);
  const ctx: CheckContext = {
    runtime: ready.runtime,
    toolboxImage: ready.toolbox.tag,
    graceSeconds: policy.graceSeconds,
    limiter: deferredLimiter(limiting.then((l) => l.limiter)),
  };
  const single = req.images.length === 1 ? req.images[0] : undefined;
  const run = describeRunOptions({
    ...policy.run,
    readyLog: policy.startup.readyLog ?? undefined,
    readyPort: policy.startup.readyPort ?? undefined,
  });
  const startedAt = new Date();
  const outcomes: ImageOutcome[] = [];
  for (const image of req.images) {
    req.log(
      `certifying ${image} (policy ${req.policySource ?? 'default'}, grace ${policy.graceSeconds} s${run ? `, ${run}` : ''})`,
    );
    // One internal network per image: no image under test reaches another. On the CRI
    // each scenario's pod sandbox has a network namespace of its own on the harness's
    // bridge instead.
    const network =
      policy.run.network === 'internal' && !ready.runtime.runPodSandbox
        ? await ready.runtime.createNetwork(
            `harness-certify-${ready.runtime.runId}-${outcomes.length}`,
            'certify-network',
          )
        : undefined;
    const outcome = await certifyOne(ctx, image, policy, concurrency, network, req, !single);
    if (req.dockerfile && outcome.certification)
      outcome.dockerfile = await crossCheckDockerfile(
        ctx,
        image,
        req.dockerfile,
        outcome.certification,
        policy,
        await concurrency,
        req,
      );
    if (outcome.certification) {
      const fix = outcome.dockerfile?.fix;
      const lines = verdictLines({
        image,
        summary: outcome.summary,
        code: outcome.code,
        observations: outcome.observations,
        expectation: (check) => policyExpectation(check, policy),
        ...(fix ? { fix: { summary: fix.summary, ...(fix.verified ? { verified: fix.verified.summary } : {}) } } : {}),
      });
      // A lone image that could not be certified has its reason as the command's error line.
      for (const line of single && outcome.code === 2 ? lines.slice(1) : lines) req.say(line);
    }
    outcomes.push(outcome);
  }
  const load = (await limiting).settle();
  const report: Report = {
    ...buildReport({
      kind: 'certify',
      engine: { ...ready.engine.info, ...(ready.runtime.described ? { runtime: ready.runtime.described } : {}) },
      startedAt,
      finishedAt: new Date(),
      graceSeconds: policy.graceSeconds,
      concurrency: load.concurrency,
      load,
      observations: outcomes.flatMap((o) => o.observations),
      // The gate's own scenarios of each check, in its order.
      checks: CERTIFY_CHECKS.map((c) => ({ ...c, scenarios: c.certify?.scenarios ?? c.scenarios })),
    }),
    ...(single ? { image: single } : {}),
    images: outcomes.map((o) => ({
      image: o.image,
      verdict: o.code === 0 ? 'pass' : o.code === 1 ? 'fail' : 'cannot-certify',
      summary: o.summary,
      ...(o.preflight ? { preflight: o.preflight } : {}),
      ...(o.dockerfile ? { dockerfile: o.dockerfile } : {}),
    })),
    policy: policyForReport(policy),
    passed: outcomes.every((o) => o.code === 0),
  };
  const exitCode = Math.max(...outcomes.map((o) => o.code)) as 0 | 1 | 2;
  return { outcomes, report, exitCode, load };
}

/** Certify one image and say its lines; an image that cannot be certified is an outcome, not a throw. */
async function certifyOne(
  ctx: CheckContext,
  image: string,
  policy: Policy,
  concurrency: number | Promise<number>,
  network: string | undefined,
  req: CertifyRequest,
  /** Say why it cannot be certified (a lone image's reason is the command's error instead). */
  sayWhy: boolean,
): Promise<ImageOutcome> {
  const out = req.say;
  let result: Certification;
  try {
    await resolveImage(ctx.runtime, image, req.log);
    const progress = req.progress?.(image);
    result = await certifyImage(
      ctx,
      image,
      policy,
      concurrency,
      progress
        ? (o, done, total) => progress(done, total, `${o.check}${o.scenario ? ` ${o.scenario}` : ''}: ${o.verdict}`)
        : undefined,
      network,
    );
  } catch (err) {
    if (!(err instanceof HarnessError) || err.exitCode !== 2 || err instanceof EngineUnavailableError) throw err;
    if (sayWhy) {
      out(`${image} CANNOT BE CERTIFIED: ${err.message}`);
      if (err.detail) out(err.detail);
    }
    return { image, code: 2, summary: `cannot be certified: ${err.message}`, observations: [], error: err };
  }
  const pre = result.preflight;
  out(
    `${image}: ready after ${(pre.readyAfterMs / 1000).toFixed(1)} s; runs ${JSON.stringify(pre.command)} as ${pre.user}; stop signal ${pre.stopSignal}`,
  );
  for (const o of result.observations) {
    const label = `${o.check}${o.scenario ? ` (${o.scenario})` : ''}`;
    const shown = shownVerdict(o);
    if (shown === 'pass' || shown === 'skip') {
      out(`  ${shown}  ${label}: ${o.reason}`);
      continue;
    }
    if (shown === 'warning') {
      // Failed, but the policy does not require it: one line, never read as a failure.
      out(`  warn  ${label}: ${o.reason} (not required by the policy)`);
      continue;
    }
    // What was seen; the reason, the expectation and what to change are in the verdict block.
    out(`  ${shown === 'fail' ? 'FAIL ' : shown.toUpperCase().padEnd(5)} ${label}: see the verdict below`);
    out(`        observed: ${JSON.stringify(o.observed)}`);
    const ev = evidenceLine(o);
    if (ev) out(`        evidence: ${ev}`);
  }
  if (result.errors.length) {
    const err = new CertifyIncompleteError(
      `could not certify ${image}: ${result.errors.length} required check(s) could not be carried out (${result.errors[0]?.reason})`,
    );
    return {
      image,
      code: 2,
      summary: err.message,
      observations: result.observations,
      preflight: pre,
      error: err,
      certification: result,
    };
  }
  const summary = result.passed
    ? 'PASSES the policy'
    : `FAILS the policy: ${result.failures.map((f) => `${f.check}${f.scenario ? ` (${f.scenario})` : ''}`).join(', ')}`;
  return {
    image,
    code: result.passed ? 0 : 1,
    summary,
    observations: result.observations,
    preflight: pre,
    certification: result,
  };
}

/** Say the Dockerfile's predictions beside the observations, the fix, and its verification. */
async function crossCheckDockerfile(
  ctx: CheckContext,
  image: string,
  where: DockerfileInput,
  certification: Certification,
  policy: Policy,
  concurrency: number,
  req: CertifyRequest,
): Promise<CertifiedImage['dockerfile']> {
  const out = req.say;
  // The fix is chosen from what the image holds: an init it already has.
  const [init] = certification.failures.length ? await ctx.runtime.pathsIn(image, INIT_PATHS) : [];
  const review = reviewDockerfile(where.dockerfile, where.contextDir, certification, init ?? null);
  out(`Dockerfile ${where.dockerfile}: PID 1 is ${review.pid1}`);
  for (const c of review.checks) {
    const mark = c.agreement === 'runtime-disagrees' ? '!!' : c.agreement === 'agree' ? 'ok' : '..';
    out(
      `  ${mark} ${c.check}: predicted ${c.predicted}${c.line ? ` (line ${c.line})` : ''}, observed ${c.observed ?? 'nothing'}: ${c.says}`,
    );
    if (c.predicted !== 'unknown' || c.agreement === 'runtime-disagrees') out(`        ${c.why}`);
  }
  const result: NonNullable<CertifiedImage['dockerfile']> = {
    path: where.dockerfile,
    pid1: review.pid1,
    checks: review.checks,
  };
  if (review.noFix) out(`no fix proposed: ${review.noFix}`);
  if (!review.fix) return result;
  const fix = review.fix;
  out(`proposed fix: ${fix.summary}`);
  if (fix.diff) out(fix.diff.trimEnd());
  result.fix = { summary: fix.summary, diff: fix.diff };
  if (!where.verify) return result;
  const fixed = await verifyFix(ctx, where, fix, policy, concurrency, req.log);
  const c = fixed.certification;
  const verdict = c.errors.length ? 'cannot-certify' : c.passed ? 'pass' : 'fail';
  const summary = c.passed
    ? 'PASSES the policy'
    : `FAILS the policy: ${c.failures.map((f) => `${f.check}${f.scenario ? ` (${f.scenario})` : ''}`).join(', ')}`;
  out(`verify-fix: ${fixed.image} (the Dockerfile above, run as the original was) ${summary}`);
  result.fix.verified = { image: fixed.image, verdict, summary };
  return result;
}
