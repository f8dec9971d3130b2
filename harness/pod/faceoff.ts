import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckContext } from '../checks/subject.js';
import { baseImageTag } from '../images/base.js';
import { imagesDir } from '../paths.js';
import type { PodEvent } from './events.js';
import { PodRun } from './kubelet.js';
import { parsePod } from './manifest.js';
import { podStatus } from './status.js';
import { allOf, parseUntil, type PodCondition } from './until.js';
import { BadInputError } from '../errors.js';

/** A pod run's result as the face-off reads it. */
export interface PodOutcome {
  events: PodEvent[];
  status: ReturnType<typeof podStatus>;
  /** The EndpointSlice's conditions for the pod at the end. */
  endpoint: ReturnType<PodRun['endpoint']>;
  /** The condition the run waited for, and whether it held before the deadline. */
  until: { text: string; met: boolean };
  /** The sandbox's start time on this engine, ms: what timing bands widen with. */
  engineLatencyMs: number;
}

/** A stop condition on the events of one container whose message matches. */
const eventMatching = (container: string, reason: string, message: RegExp): PodCondition => ({
  text: `${container}.${reason} matching ${message}`,
  holds: (pod) => pod.events.some((e) => e.container === container && e.reason === reason && message.test(e.message)),
});

/**
 * A container killed for the reason a Killing event's message matches, the SIGKILL that
 * ended that termination seen too (a kill for another reason, such as a startup probe
 * that ran out of attempts on a slow machine, does not count).
 */
const killedFor = (container: string, why: RegExp): PodCondition => ({
  text: `${container}.Killing matching ${why} then ${container}.SIGKILL`,
  holds: (pod) => {
    const kill = pod.events.find((e) => e.container === container && e.reason === 'Killing' && why.test(e.message));
    return !!kill && pod.events.some((e) => e.container === container && e.reason === 'SIGKILL' && e.atMs >= kill.atMs);
  },
});

const until = (...conditions: (string | PodCondition)[]) =>
  allOf(conditions.map((c) => (typeof c === 'string' ? parseUntil(c) : c)));

/**
 * The reference scenarios: manifests under images/pods/, as the suites run them. Each
 * runs until what its rule needs has happened (then the pod is deleted, with its
 * termination sequence), however long the engine takes on this machine.
 */
export const POD_SCENARIOS: Record<
  string,
  {
    file: string;
    until: () => PodCondition;
    edit?: (t: string) => string;
    /** The object to run when the file holds several (`--select`). */
    select?: string;
    /** `--grace-override`: the deletion's grace period. */
    graceOverride?: number;
  }
> = {
  liveness: { file: 'liveness-restart.yaml', until: () => until('app.Unhealthy>=2', 'app.Started>=2') },
  'init-never': { file: 'init-fails.yaml', until: () => until('phase=Failed') },
  'init-always': {
    file: 'init-fails.yaml',
    until: () => until('migrate.restarts>=2', 'migrate.BackOff>=1'),
    edit: (t) => t.replace('restartPolicy: Never', 'restartPolicy: Always'),
  },
  hooks: {
    file: 'hooks-and-startup.yaml',
    until: () =>
      until(
        'slow-poststart.Ready>=1',
        'slow-poststart.ProbeSucceeded>=1',
        'bad-poststart.restarts>=1',
        'gated.StartupSucceeded>=1',
        killedFor('gated', /failed liveness probe/),
      ),
  },
  http: {
    file: 'http-probes.yaml',
    until: () =>
      until(
        'same-host.Ready>=1',
        'other-host.Ready>=1',
        eventMatching('redirect-loop', 'Unhealthy', /stopped after 10 redirects/),
        eventMatching('not-found', 'Unhealthy', /statuscode: 404/),
        eventMatching('server', 'ProbeSucceeded', /^Liveness probe succeeded/),
        'other-host.ProbeWarning>=1',
      ),
  },
  ordering: {
    file: 'ordering-and-timeouts.yaml',
    until: () => until('worker.Started>=1', 'watcher.Ready>=1', 'slow-probe.Unhealthy>=3'),
  },
  sidecar: {
    file: 'native-sidecar.yaml',
    until: () => until('proxy.Ready>=1', 'app.Started>=1', 'flaky.restarts>=1'),
  },
  'sidecar-job': { file: 'sidecar-job.yaml', until: () => until('phase=Succeeded') },
  network: {
    file: 'pod-network.yaml',
    until: () =>
      until(
        'local-only.restarts>=1',
        eventMatching('all-interfaces', 'ProbeSucceeded', /^Liveness/),
        'grpc.StartupSucceeded>=1',
        eventMatching('grpc', 'Unhealthy', /NOT_SERVING/),
      ),
  },
  order: { file: 'start-order.yaml', until: () => until('app.Ready>=1') },
  crashloop: { file: 'crash-loop.yaml', until: () => until('app.BackOff>=1') },
  details: {
    file: 'probe-details.yaml',
    graceOverride: 2,
    until: () =>
      until(
        'server.ready',
        'client.ready',
        'late.ready',
        eventMatching('server', 'ProbeSucceeded', /^Liveness probe succeeded: ua=/),
      ),
  },
  'on-failure': {
    file: 'restart-policies.yaml',
    select: 'Pod/on-failure',
    until: () => until('phase=Running', 'fails.restarts>=1', 'done.Terminated>=1'),
  },
  never: { file: 'restart-policies.yaml', select: 'never', until: () => until('phase=Failed') },
};

/** How long a reference scenario may take before it is deleted unmet: only stops a hang. */
const SCENARIO_DEADLINE_S = 180;

/** The scenarios the face-off table is measured from. */
export const FACEOFF_SCENARIOS = ['liveness', 'init-never', 'init-always', 'hooks'];

/** Run one reference scenario on the engine (back-off scaled by 0.1). */
async function runScenarioPod(ctx: CheckContext, key: string, baseImage = baseImageTag()): Promise<PodOutcome> {
  const s = POD_SCENARIOS[key];
  if (!s) throw new BadInputError(`no pod scenario ${key}`);
  const text = (s.edit ?? ((t: string) => t))(readFileSync(join(imagesDir(), 'pods', s.file), 'utf8')).replaceAll(
    'harness/base:bookworm',
    baseImage,
  );
  const condition = s.until();
  const run = new PodRun(ctx.runtime, ctx.toolboxImage, parsePod(text, s.file, s.select), {
    deleteAfterSeconds: SCENARIO_DEADLINE_S,
    until: condition,
    backoffScale: 0.1,
    graceOverrideSeconds: s.graceOverride,
  });
  await run.run();
  return {
    events: run.timeline.events,
    status: podStatus(run),
    endpoint: run.endpoint(),
    until: { text: condition.text, met: run.untilMet === true },
    engineLatencyMs: run.engineLatencyMs,
  };
}

/** Run scenarios side by side (default: those the face-off needs). */
export async function runScenarioPods(
  ctx: CheckContext,
  keys = FACEOFF_SCENARIOS,
  baseImage?: string,
): Promise<Map<string, PodOutcome>> {
  const outcomes = await Promise.all(keys.map((k) => runScenarioPod(ctx, k, baseImage)));
  return new Map(keys.map((k, i) => [k, outcomes[i] as PodOutcome]));
}

export interface FaceOffRow {
  mechanism: 'postStart hook' | 'init container' | 'startup probe';
  sameContainer: string;
  scope: string;
  image: string;
  runGuarantee: string;
  onFailure: string;
  usage: string;
  count: string;
  /** The scenarios (images/pods/...) whose events back the row. */
  evidence: string[];
}

const ev = (o: PodOutcome | undefined, reason: string, container?: string) =>
  (o?.events ?? []).filter((e) => e.reason === reason && (!container || e.container === container));
const at = (e: PodEvent | undefined) => (e ? `${(e.atMs / 1000).toFixed(1)} s` : 'n/a');
const restarts = (o: PodOutcome | undefined, name: string) =>
  [...(o?.status.containerStatuses ?? []), ...(o?.status.initContainerStatuses ?? [])].find((c) => c.name === name)
    ?.restartCount ?? 0;

/**
 * The face-off of the three ways to run something at start, each cell derived from
 * what the reference scenarios measured.
 */
export function faceOffRows(o: Map<string, PodOutcome>): FaceOffRow[] {
  const hooks = o.get('hooks');
  const live = o.get('liveness');
  const never = o.get('init-never');
  const always = o.get('init-always');

  const psStart = ev(hooks, 'PostStartHookStarted', 'slow-poststart')[0];
  const psDone = ev(hooks, 'PostStartHookSucceeded', 'slow-poststart')[0];
  const psReady = ev(hooks, 'Ready', 'slow-poststart')[0];
  const badStarts = ev(hooks, 'Started', 'bad-poststart').length;
  const badHooks = ev(hooks, 'PostStartHookStarted', 'bad-poststart').length;

  const initDone = ev(live, 'Terminated', 'setup')[0];
  const appStart = ev(live, 'Started', 'app')[0];
  const initRuns = ev(live, 'Started', 'setup').length;
  const appRuns = ev(live, 'Started', 'app').length;

  const startupFails = ev(hooks, 'Unhealthy', 'gated').filter((e) => e.message.startsWith('Startup')).length;
  const startupOk = ev(hooks, 'StartupSucceeded', 'gated');
  const firstLiveness = (hooks?.events ?? []).find((e) => e.container === 'gated' && e.message.startsWith('Liveness'));

  return [
    {
      mechanism: 'postStart hook',
      sameContainer: `yes: exec'd into the container (${psStart?.container ?? '?'})`,
      scope: 'one container, alongside its entrypoint (no ordering guarantee)',
      image: "the container's own image and filesystem",
      runGuarantee: `the container is not Running until it returns: hook ${at(psStart)} to ${at(psDone)}, Ready at ${at(psReady)}`,
      onFailure: `FailedPostStartHook, the container is killed and restarted (bad-poststart: ${restarts(hooks, 'bad-poststart')} restart(s))`,
      usage: 'light per-start work: register, warm a cache',
      count: `every container start: ${badHooks} hook run(s) for ${badStarts} start(s)`,
      evidence: ['images/pods/hooks-and-startup.yaml'],
    },
    {
      mechanism: 'init container',
      sameContainer: 'no: a separate container that exits before the app starts',
      scope: 'the whole pod: every app container waits for it',
      image: 'its own image (tools the app image does not ship)',
      runGuarantee: `runs to completion first: init exited ${at(initDone)}, app started ${at(appStart)}`,
      onFailure: `restartPolicy Never: pod ${never?.status.phase ?? '?'}; Always: retried with back-off (${restarts(always, 'migrate')} restarts), pod ${always?.status.phase ?? '?'}`,
      usage: 'one-time setup: migrations, waiting for dependencies, fetching config',
      count: `once per pod: ${initRuns} run(s) while the app container started ${appRuns} time(s)`,
      evidence: ['images/pods/liveness-restart.yaml', 'images/pods/init-fails.yaml'],
    },
    {
      mechanism: 'startup probe',
      sameContainer: 'yes: probes the running container (exec, httpGet, tcpSocket)',
      scope: 'one container: holds back its liveness and readiness probes',
      image: "the container's own (exec) or its port",
      runGuarantee: `liveness starts only after it succeeds: startup succeeded ${at(startupOk[0])}, first liveness result ${at(firstLiveness)}`,
      onFailure: 'after failureThreshold failures the container is killed and restarted, like a liveness failure',
      usage: 'slow-starting applications that need a long first start without a lax liveness probe',
      count: `until its first success per container start: ${startupFails} failed attempt(s), ${startupOk.length} success(es)`,
      evidence: ['images/pods/hooks-and-startup.yaml'],
    },
  ];
}
