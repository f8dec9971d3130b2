import { dirname, join, resolve } from 'node:path';
import type { Observation } from '../checks/observation.js';
import { evidenceLine } from '../certify/evidence.js';
import type { CheckContext } from '../checks/subject.js';
import { CERTIFY_CHECKS } from '../checks/battery.js';
import { certifyImage, policyExpectation, resolveImage, type Certification } from '../certify/gate.js';
import { DEFAULT_POLICY_FILE, loadPolicy, policyPath, type Policy } from '../certify/policy.js';
import {
  checkRegex,
  describeRunOptions,
  mergeRunOptions,
  parseCommand,
  parseEnvFile,
  parseEnvPair,
  parseNetwork,
  parsePort,
  type RunOptions,
} from '../certify/run-options.js';
import { createInternalNetwork } from '../engine/networks.js';
import { BadInputError, CertifyIncompleteError, EngineUnavailableError, HarnessError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { outputDir } from '../paths.js';
import type { CertifiedImage, Report } from '../report/model.js';
import { readDockerfile } from '../certify/dockerfile.js';
import { reviewDockerfile, verifyFix } from '../certify/verify-fix.js';
import { measureLoad, prepare } from '../prepare.js';
import { describeLoad } from '../run/load.js';
import { buildReport } from '../report/build.js';
import { parseFormats, writeReport } from '../report/write.js';
import { parse, positiveNumber } from './args.js';
import { interruptHandlers } from './interrupt.js';
import { progressReporter } from './progress.js';

/** The gate's checks, one line each, from their definitions. */
function gateLines(): string {
  const width = Math.max(...CERTIFY_CHECKS.map((c) => c.name.length)) + 2;
  return CERTIFY_CHECKS.map((c) => `  ${c.name.padEnd(width)} ${c.certify?.question ?? c.description}`).join('\n');
}

export const certifyHelp = `harness certify IMAGE... [options]

Runs the battery against each IMAGE as it is (its ENTRYPOINT, CMD, USER and
STOPSIGNAL; no shell or ps needed inside it), or as the run options below configure
it, and passes or fails it under a policy:
${gateLines()}
The image first has to start and stay up (or print its ready line, or listen on its
ready port) within the policy's startup timeout. Containers run with no network
(unless --network internal), no-new-privileges, a pids and a memory limit, nothing
mounted, and are all removed afterwards.

Run options (as docker run takes them; each also a key of the policy's run section):
  --env NAME=VALUE     set a variable (repeatable); --env NAME takes it from here
  --env-file FILE      NAME=VALUE lines (# comments), as docker run --env-file
  --entrypoint CMD     replace the ENTRYPOINT ('' clears it); CMD is words or a JSON array
  --cmd CMD            replace the CMD: words ("serve --port 8080") or a JSON array
  --user USER          run as USER (name, uid or uid:gid)
  --init               run with the engine's init as PID 1 (docker run --init)
  --network MODE       none (default: no network at all) or internal (an engine
                       network with no route off the machine)
  --ready-log REGEX    ready once a log line matches
  --ready-port PORT    ready once it listens on this TCP port (read from its own
                       /proc/net/tcp: works with no network)

The Dockerfile cross-check (one IMAGE):
  --dockerfile PATH    the Dockerfile IMAGE was built from: each check's prediction from
                       it (shell-form CMD/ENTRYPOINT, an entrypoint script without exec,
                       no init, STOPSIGNAL) beside what the engine showed, with its line;
                       for a failing image, the smallest Dockerfile change that fixes it
  --context DIR        its build context (default: the Dockerfile's folder)
  --verify-fix         build the fixed Dockerfile and certify it too (shows the diff)
  --build-arg K=V      a build argument for that build (repeatable)

Options:
  --policy FILE        YAML policy (default: .harness/policy.yaml when present, else
                       ${DEFAULT_POLICY_FILE.replace(process.cwd() + '/', '')})
  --grace SECONDS      override the policy's grace period
  --concurrency N      scenarios at once (default: from the cores and the engine's start
                       latency measured at the start of the run; the report says which)
  --out DIR            report folder (default reports/certify/<image>, or
                       reports/certify/ for several images)
  --format LIST        comma-separated: json,html,md,junit,sarif (default: all but sarif)
  --json               print the report as JSON on stdout (the human lines go to stderr)

Exit 0 every image passes the policy, 1 one fails (each failed check listed with
expected vs observed and evidence), 2 bad input or environment (no engine, an image
neither local nor pullable, an image that exits or hangs before the battery can start,
an invalid policy). With several images: the worst of their codes, one report.`;

/** The run options of the command line, as a policy's run/startup keys (unset: not given). */
function runOptionsOf(values: Record<string, string | boolean | string[] | undefined>): RunOptions {
  const o: RunOptions = {};
  const env: Record<string, string> = {};
  if (typeof values['env-file'] === 'string') Object.assign(env, parseEnvFile(values['env-file']));
  for (const pair of (values.env as string[] | undefined) ?? []) {
    const kv = parseEnvPair(pair, 'certify: --env');
    if (kv) env[kv[0]] = kv[1];
  }
  if (Object.keys(env).length) o.env = env;
  if (typeof values.entrypoint === 'string')
    o.entrypoint = values.entrypoint === '' ? [] : parseCommand(values.entrypoint, 'certify: --entrypoint');
  if (typeof values.cmd === 'string') o.cmd = parseCommand(values.cmd, 'certify: --cmd');
  if (typeof values.user === 'string') o.user = values.user;
  if (values.init === true) o.init = true;
  if (typeof values.network === 'string') o.network = parseNetwork(values.network, 'certify: --network');
  if (typeof values['ready-log'] === 'string') o.readyLog = checkRegex(values['ready-log'], 'certify: --ready-log');
  if (typeof values['ready-port'] === 'string') o.readyPort = parsePort(values['ready-port'], 'certify: --ready-port');
  return o;
}

/** The policy with the command line's run options and grace laid over it. */
function effectivePolicy(policy: Policy, options: RunOptions, grace: string | undefined): Policy {
  const { readyLog, readyPort, ...run } = options;
  const merged: Policy = { ...policy, run: mergeRunOptions(policy.run, run), startup: { ...policy.startup } };
  if (readyLog !== undefined) merged.startup = { ...merged.startup, readyLog, readyPort: null };
  if (readyPort !== undefined) merged.startup = { ...merged.startup, readyPort, readyLog: null };
  if (grace !== undefined) {
    merged.graceSeconds = positiveNumber('certify', 'grace', grace, policy.graceSeconds);
    merged.maxStopSeconds = Math.min(merged.maxStopSeconds, merged.graceSeconds);
  }
  return merged;
}

const folderOf = (image: string) => image.replace(/[^A-Za-z0-9_.-]+/g, '_');

/** One image's outcome: its exit code (0 pass, 1 fail, 2 could not be certified) and why. */
interface ImageOutcome {
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

/** Print the Dockerfile's predictions beside the observations, the fix, and its verification. */
async function crossCheckDockerfile(
  ctx: CheckContext,
  where: { dockerfile: string; contextDir: string; verify: boolean; buildArgs: Record<string, string> },
  certification: Certification,
  policy: Policy,
  concurrency: number,
  out: (line: string) => void,
): Promise<CertifiedImage['dockerfile']> {
  const review = reviewDockerfile(where.dockerfile, where.contextDir, certification);
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
  if (!review.fix) return result;
  const fix = review.fix;
  out(`proposed fix: ${fix.summary}${fix.runWithInit ? '; and run it with --init (an init reaps orphans)' : ''}`);
  if (fix.diff) out(fix.diff.trimEnd());
  result.fix = { summary: fix.summary, diff: fix.diff, ...(fix.runWithInit ? { runWithInit: true } : {}) };
  if (!where.verify) return result;
  const fixed = await verifyFix(ctx, where, fix, policy, concurrency, stderrLogger);
  const c = fixed.certification;
  const verdict = c.errors.length ? 'cannot-certify' : c.passed ? 'pass' : 'fail';
  const summary = c.passed
    ? 'PASSES the policy'
    : `FAILS the policy: ${c.failures.map((f) => `${f.check}${f.scenario ? ` (${f.scenario})` : ''}`).join(', ')}`;
  out(`verify-fix: ${fixed.image}${fix.runWithInit ? ' (run with --init)' : ''} ${summary}`);
  result.fix.verified = { image: fixed.image, verdict, summary };
  return result;
}

export async function certifyCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse(
    'certify',
    argv,
    {
      policy: { type: 'string' },
      grace: { type: 'string' },
      concurrency: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      env: { type: 'string', multiple: true },
      'env-file': { type: 'string' },
      entrypoint: { type: 'string' },
      cmd: { type: 'string' },
      user: { type: 'string' },
      init: { type: 'boolean' },
      network: { type: 'string' },
      dockerfile: { type: 'string' },
      context: { type: 'string' },
      'verify-fix': { type: 'boolean' },
      'build-arg': { type: 'string', multiple: true },
      'ready-log': { type: 'string' },
      'ready-port': { type: 'string' },
    },
    true,
  );
  if (!positionals.length) throw new BadInputError('certify: give at least one IMAGE (see `harness certify --help`)');
  const images = [...new Set(positionals)];
  if (values.dockerfile !== undefined && images.length !== 1)
    throw new BadInputError('certify: --dockerfile goes with exactly one IMAGE (the one built from it)');
  const buildArgs: Record<string, string> = {};
  for (const a of values['build-arg'] ?? []) {
    const kv = parseEnvPair(a, 'certify: --build-arg');
    if (kv) buildArgs[kv[0]] = kv[1];
  }
  if ((values['verify-fix'] || values.context !== undefined) && values.dockerfile === undefined)
    throw new BadInputError(`certify: --${values['verify-fix'] ? 'verify-fix' : 'context'} needs --dockerfile PATH`);
  const dockerfile = values.dockerfile === undefined ? undefined : resolve(values.dockerfile);
  const contextDir = dockerfile ? resolve(values.context ?? dirname(dockerfile)) : undefined;
  // Read before any engine work: a bad path is a one-line error at once.
  if (dockerfile) readDockerfile(dockerfile, contextDir);
  const formats = parseFormats(values.format, 'certify');
  const policyFile = policyPath(values.policy);
  const policy = effectivePolicy(loadPolicy(policyFile), runOptionsOf(values), values.grace);
  const concurrencyOption =
    values.concurrency === undefined
      ? undefined
      : Math.floor(positiveNumber('certify', 'concurrency', values.concurrency, 1));
  const single = images.length === 1 ? (images[0] as string) : undefined;
  const outDir = resolve(values.out ?? join(outputDir(), 'certify', ...(single ? [folderOf(single)] : [])));
  // With --json, stdout carries only the report.
  const say = values.json ? (line: string) => process.stderr.write(`${line}\n`) : out;

  const ready = await prepare(stderrLogger);
  interruptHandlers.push(() => ready.session.interrupt());
  try {
    const load = await measureLoad(ready.session, ready.toolbox.tag, concurrencyOption);
    const ctx = { session: ready.session, toolboxImage: ready.toolbox.tag, graceSeconds: policy.graceSeconds };
    const network =
      policy.run.network === 'internal'
        ? await createInternalNetwork(ready.session, `harness-certify-${ready.session.runId}`, 'certify-network')
        : undefined;
    const run = describeRunOptions({
      ...policy.run,
      readyLog: policy.startup.readyLog ?? undefined,
      readyPort: policy.startup.readyPort ?? undefined,
    });
    const startedAt = new Date();
    const outcomes: ImageOutcome[] = [];
    for (const image of images) {
      stderrLogger(
        `certifying ${image} (policy ${policyFile ?? 'default'}, grace ${policy.graceSeconds} s${run ? `, ${run}` : ''}, ${describeLoad(load)})`,
      );
      const outcome = await certifyOne(ctx, image, policy, load.concurrency, network, say, !single);
      if (dockerfile && contextDir && outcome.certification)
        outcome.dockerfile = await crossCheckDockerfile(
          ctx,
          { dockerfile, contextDir, verify: !!values['verify-fix'], buildArgs },
          outcome.certification,
          policy,
          load.concurrency,
          say,
        );
      outcomes.push(outcome);
    }
    const report: Report = {
      ...buildReport({
        kind: 'certify',
        engine: ready.engine.info,
        startedAt,
        finishedAt: new Date(),
        graceSeconds: policy.graceSeconds,
        concurrency: load.concurrency,
        load,
        observations: outcomes.flatMap((o) => o.observations),
      }),
      ...(single ? { image: single } : {}),
      images: outcomes.map((o) => ({
        image: o.image,
        verdict: o.code === 0 ? 'pass' : o.code === 1 ? 'fail' : 'cannot-certify',
        summary: o.summary,
        ...(o.preflight ? { preflight: o.preflight } : {}),
        ...(o.dockerfile ? { dockerfile: o.dockerfile } : {}),
      })),
      policy: { ...policy },
      passed: outcomes.every((o) => o.code === 0),
    };
    const paths = writeReport(outDir, report, formats);
    if (images.length > 1) for (const o of outcomes) say(`${o.image}: ${o.summary}`);
    say(`wrote ${paths.join(', ')}`);
    if (values.json) out(JSON.stringify(report, null, 2));
    const worst = Math.max(...outcomes.map((o) => o.code));
    // One image that cannot be certified: its error is the command's (one line, with detail).
    const only = outcomes[0];
    if (single && only && only.code === 2 && only.error) throw only.error;
    return worst;
  } finally {
    await ready.session.teardown();
  }
}

/** Certify one image and print its lines; an image that cannot be certified is an outcome, not a throw. */
async function certifyOne(
  ctx: CheckContext,
  image: string,
  policy: Policy,
  concurrency: number,
  network: string | undefined,
  out: (line: string) => void,
  /** Print why it cannot be certified (a lone image's reason is the command's error instead). */
  sayWhy: boolean,
): Promise<ImageOutcome> {
  let result: Certification;
  try {
    await resolveImage(ctx, image, stderrLogger);
    const progress = progressReporter(`certify ${image}`);
    result = await certifyImage(
      ctx,
      image,
      policy,
      concurrency,
      (o, done, total) => progress(done, total, `${o.check}${o.scenario ? ` ${o.scenario}` : ''}: ${o.verdict}`),
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
    const mark = o.verdict === 'pass' ? 'pass ' : o.verdict === 'fail' ? 'FAIL ' : o.verdict.toUpperCase().padEnd(5);
    out(`  ${mark} ${label}: ${o.reason}`);
    if (o.verdict !== 'pass') {
      out(`        expected: ${policyExpectation(o.check, policy)}`);
      out(`        observed: ${JSON.stringify(o.observed)}`);
      const ev = evidenceLine(o);
      if (ev) out(`        evidence: ${ev}`);
    }
  }
  if (result.errors.length) {
    const err = new CertifyIncompleteError(
      `could not certify ${image}: ${result.errors.length} required check(s) could not be carried out (${result.errors[0]?.reason})`,
    );
    if (sayWhy) out(`${image} CANNOT BE CERTIFIED: ${err.message}`);
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
  out(`${image} ${summary}`);
  return {
    image,
    code: result.passed ? 0 : 1,
    summary,
    observations: result.observations,
    preflight: pre,
    certification: result,
  };
}
