/**
 * The harness as a library: run one check, the battery or the certification gate on an
 * image from your own code or test suite, run a Pod manifest, and write reports.
 *
 *   import { runCheck, closeHarness } from 'container-lifecycle-harness';
 *   const o = await runCheck('my/service:1.4', 'graceful-stop', { grace: 5, env: { PORT: '8080' } });
 *   if (o.verdict !== 'pass') console.log(o.reason);
 *   await closeHarness();
 *
 * The first call brings the harness up as `harness setup` does (finds the engine, builds
 * the base and toolbox images once, cached); every scenario runs in its own container,
 * removed afterwards.
 */
import { checkByName, CERTIFY_CHECKS } from './checks/battery.js';
import type { Observation } from './checks/observation.js';
import type { CheckContext } from './checks/subject.js';
import { certifySubject, judge, resolveImage } from './certify/gate.js';
import { certify, resolvePolicy } from './app/certify.js';
import { policyFrom, type Policy } from './certify/policy.js';
import type { RunOptions } from './certify/run-options.js';
import {
  fromGenericContainer,
  isGenericContainer,
  isStartedContainer,
  startedContainerError,
  type GenericContainerDescription,
  type StartedContainerDescription,
} from './testcontainers.js';
import { BadInputError } from './errors.js';
import { silentLogger, type Logger } from './log.js';
import { PodRun } from './pod/kubelet.js';
import { parsePod } from './pod/manifest.js';
import { podStatus } from './pod/status.js';
import { allOf, parseUntil } from './pod/until.js';
import { prepare, prepareCri, type Prepared } from './prepare.js';
import type { CriRuntime } from './runtime/cri.js';
import { sharedSlots } from './run/slots.js';

export { runBattery, plan } from './matrix.js';
export { buildReport } from './report/build.js';
export type { ReportedCheck } from './report/build.js';
export { writeReport, FORMATS, type Format } from './report/write.js';
export { renderHtml } from './report/html.js';
export { renderMarkdown } from './report/markdown.js';
export { renderJunit } from './report/junit.js';
export { renderSarif } from './report/sarif.js';
export { evidenceLine } from './certify/evidence.js';
export { CHECKS, CERTIFY_CHECKS, checkByName } from './checks/battery.js';
export type { Observation, Verdict, Evidence } from './checks/observation.js';
export type { Report, ReportResult } from './report/model.js';
export type { Policy } from './certify/policy.js';
export type { RunOptions } from './certify/run-options.js';
export type { Subject, CheckContext } from './checks/subject.js';
export * from './errors.js';
export { fromGenericContainer, isGenericContainer, type GenericContainerDescription } from './testcontainers.js';

/** An image and how to run it, as docker run would. */
export interface ImageUnderTest extends RunOptions {
  image: string;
}

/**
 * A started testcontainers container, as a check acts on it: its id and image, once the
 * engine says it runs. It runs as it was started: run options cannot apply to it.
 */
async function runningContainer(
  started: StartedContainerDescription,
  options: CheckOptions,
): Promise<{ id: string; image: string }> {
  const given = (['env', 'entrypoint', 'cmd', 'user', 'init', 'network'] as const).filter(
    (k) => options[k] !== undefined,
  );
  if (given.length)
    throw new BadInputError(
      `a started container runs as it was started: ${given.join(', ')} cannot apply to it (pass its GenericContainer, not started, to run fresh copies with them)`,
    );
  const id = started.getId();
  const info = await (await harness()).runtime.inspect(id).catch(() => null);
  if (!info) throw new BadInputError(`no container ${id.slice(0, 12)} on the engine the harness uses`);
  if (!info.State.Running)
    throw new BadInputError(
      `container ${id.slice(0, 12)} is not running (${info.State.Status}): a check acts on a running container`,
    );
  return { id: info.Id, image: info.Config.Image ?? id };
}

/**
 * What the library takes as an image: a reference, an image with how to run it, or a
 * testcontainers GenericContainer (its image, environment, command, entrypoint, user
 * and wait strategy; the harness runs fresh copies of it). A started container is
 * refused with what to pass instead.
 */
export function imageUnderTest(value: string | ImageUnderTest | GenericContainerDescription): ImageUnderTest {
  if (typeof value === 'string') return { image: value };
  if (isGenericContainer(value)) {
    const image: Partial<ReturnType<typeof fromGenericContainer>> = fromGenericContainer(value);
    delete image.unused;
    return image as ImageUnderTest;
  }
  if (isStartedContainer(value)) throw startedContainerError();
  return value;
}

export interface CheckOptions extends Omit<RunOptions, 'readyLog'> {
  /** Grace period of stops, seconds (default 10, the default policy's). */
  grace?: number;
  /** The check's scenario (default: its first for any image, e.g. SIGTERM for signal-forwarding). */
  scenario?: string;
  /** A regular expression the image prints once ready. */
  readyLog?: string | RegExp;
  /** Policy keys to judge by (accepted exit codes, maximum stop time...). */
  policy?: Record<string, unknown>;
}

let shared: Promise<Prepared> | undefined;
let sharedCri: Promise<CriRuntime> | undefined;

/** The shared harness's containerd through the CRI (brought up on first use, as `harness setup --runtime cri`). */
function criOf(h: Prepared): Promise<CriRuntime> {
  sharedCri ??= prepareCri(h, silentLogger);
  sharedCri.catch(() => (sharedCri = undefined));
  return sharedCri;
}

/** The harness this process shares: engine, run session, base and toolbox images (brought up on first use). */
export function harness(log: Logger = silentLogger): Promise<Prepared> {
  shared ??= prepare(log).then((p) => {
    // Whatever the caller forgets, the run's containers go when the process ends.
    process.once('beforeExit', () => void closeHarness());
    return p;
  });
  return shared;
}

/** Remove what the shared harness left on the engine (scenario containers are removed as they end). */
export async function closeHarness(): Promise<void> {
  const current = shared;
  const cri = sharedCri;
  shared = undefined;
  sharedCri = undefined;
  try {
    await (await cri?.catch(() => undefined))?.teardown();
  } finally {
    if (current) await (await current).session.teardown();
  }
}

async function contextFor(grace: number): Promise<CheckContext> {
  const h = await harness();
  // Started by another run (HARNESS_SLOTS): each scenario also takes one of its slots.
  const limiter = sharedSlots(`library-${process.pid}`);
  return { runtime: h.runtime, toolboxImage: h.toolbox.tag, graceSeconds: grace, ...(limiter ? { limiter } : {}) };
}

/** The internal engine network a policy asks for (none unless it does). */
async function networkFor(ctx: CheckContext, policy: Policy): Promise<string | undefined> {
  if (policy.run.network !== 'internal') return undefined;
  return ctx.runtime.createNetwork(`harness-lib-${ctx.runtime.runId}-${Date.now()}`, 'library-network');
}

/**
 * The policy of a library call: the default policy with `options.policy` over it, then
 * the run options and grace, laid over exactly as `harness certify` lays its flags
 * (resolvePolicy): one input, one verdict, whichever door.
 */
function policyFor(options: CheckOptions): Policy {
  const base = policyFrom(options.policy ?? {}, '(options)');
  const { grace, readyLog, env, entrypoint, cmd, user, init, network, readyPort } = options;
  const run: RunOptions = {
    ...(env ? { env } : {}),
    ...(entrypoint ? { entrypoint } : {}),
    ...(cmd ? { cmd } : {}),
    ...(user ? { user } : {}),
    ...(init ? { init } : {}),
    ...(network ? { network } : {}),
    ...(readyLog !== undefined ? { readyLog: readyLog instanceof RegExp ? readyLog.source : readyLog } : {}),
    ...(readyPort !== undefined ? { readyPort } : {}),
  };
  return resolvePolicy(base, run, grace);
}

/**
 * Run one check of the certification battery on an image (any image: no shell needed in
 * it) and judge it under the default policy with `options` laid over it.
 */
export async function runCheck(
  image: string | ImageUnderTest | GenericContainerDescription | StartedContainerDescription,
  checkName: string,
  options: CheckOptions = {},
): Promise<Observation<Record<string, unknown>>> {
  const attachTo = isStartedContainer(image) ? await runningContainer(image, options) : undefined;
  const { image: ref, ...fromImage } = attachTo ? { image: attachTo.image } : imageUnderTest(image as ImageUnderTest);
  const all: CheckOptions = { ...fromImage, ...options };
  const check = checkByName(checkName);
  if (!check?.certify)
    throw new BadInputError(
      `unknown check "${checkName}" for an image (one of: ${CERTIFY_CHECKS.map((c) => c.name).join(', ')})`,
    );
  const scenario = all.scenario ?? check.certify.scenarios[0] ?? null;
  if (!check.certify.scenarios.includes(scenario))
    throw new BadInputError(
      `check ${checkName} has no scenario "${scenario}" (one of: ${check.certify.scenarios.join(', ')})`,
    );
  const policy = policyFor(all);
  const ctx = await contextFor(policy.graceSeconds);
  await resolveImage(ctx.runtime, ref, silentLogger);
  const network = await networkFor(ctx, policy);
  const subject = {
    ...certifySubject(ref, policy, network),
    ...(attachTo ? { attachTo: attachTo.id, name: `${ref} (container ${attachTo.id.slice(0, 12)})` } : {}),
  };
  const o = check.certify.run
    ? await check.certify.run(ctx, subject, scenario, policy)
    : await check.run(ctx, subject, scenario);
  return { ...o, ...judge(o, policy) } as Observation<Record<string, unknown>>;
}

/**
 * The certification gate on one image: what `harness certify IMAGE` does (the same
 * function, the same policy rules, the same report), without writing the report. An
 * image that cannot be certified throws, as the command exits 2.
 */
export async function certifyImage(image: string | ImageUnderTest, options: CheckOptions = {}) {
  const { image: ref, ...fromImage } = typeof image === 'string' ? { image } : image;
  const policy = policyFor({ ...fromImage, ...options });
  const result = await certify(await harness(), { images: [ref], policy, say: () => {}, log: silentLogger });
  const outcome = result.outcomes[0];
  if (!outcome?.certification || (outcome.code === 2 && outcome.error))
    throw outcome?.error ?? new BadInputError(`${ref}: not certified`);
  return { ...outcome.certification, exitCode: result.exitCode, report: result.report };
}

/**
 * Run a Pod manifest (YAML text) with the kubelet's lifecycle until `deleteAfterSeconds`
 * (or, with `until`, as soon as those conditions all hold: `harness pod run --until`'s,
 * e.g. "app.ready"; `deleteAfterSeconds`, default 300, is then only the deadline), and
 * return its PodStatus and the event timeline: on the local engine, or with
 * `runtime: 'cri'` on the harness's containerd through the CRI, as a kubelet drives it.
 */
export async function runPod(
  manifest: string,
  options: { deleteAfterSeconds?: number; select?: string; runtime?: 'docker' | 'cri'; until?: string[] } = {},
) {
  const spec = parsePod(manifest, '(manifest)', options.select);
  const until = options.until?.length ? allOf(options.until.map(parseUntil)) : undefined;
  const h = await harness();
  const runtime = options.runtime === 'cri' ? await criOf(h) : h.runtime;
  const run = new PodRun(runtime, h.toolbox.tag, spec, {
    deleteAfterSeconds: options.deleteAfterSeconds ?? (until ? 300 : 30),
    backoffScale: 1,
    ...(until ? { until } : {}),
  });
  await run.run();
  return {
    status: podStatus(run),
    endpoint: run.endpoint(),
    events: run.timeline.events,
    ...(until ? { untilMet: run.untilMet === true } : {}),
  };
}
