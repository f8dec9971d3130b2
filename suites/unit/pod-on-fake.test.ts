import { describe, expect, it } from 'vitest';
import type { PodEvent } from '../../harness/pod/events.js';
import { PodRun } from '../../harness/pod/kubelet.js';
import { parsePod } from '../../harness/pod/manifest.js';
import { parseUntil } from '../../harness/pod/until.js';
import { FakeRuntime, type FakeImage } from '../../harness/runtime/fake.js';
import { podAppImage, toolboxImage } from '../support/fake-images.js';

/**
 * The pod emulator's parts working together (the pod worker's sync, the prober's
 * workers and results, the status it keeps, the runtime manager's start, hooks and
 * kill), on the in-memory runtime: no engine. Each rule names the kubelet (v1.33)
 * function it follows; the pure parts are unit-tested one by one in
 * pod-kubelet-rules.test.ts, and the same pods run on the engine in suites/pod.
 */

/** Run a pod on the fake runtime until `until` holds (or `seconds` pass); nothing of it may be left. */
async function runPod(
  yaml: string,
  o: { until?: string; seconds?: number; images?: Record<string, FakeImage>; inspectDelayMs?: number } = {},
) {
  const runtime = new FakeRuntime()
    .image('toolbox', toolboxImage())
    .image('app:1', podAppImage())
    .image('deaf:1', podAppImage({ deaf: true }));
  for (const [ref, image] of Object.entries(o.images ?? {})) runtime.image(ref, image);
  runtime.inspectDelayMs = o.inspectDelayMs ?? 0;
  const spec = parsePod(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${yaml}`, 'inline');
  const run = new PodRun(runtime, 'toolbox', spec, {
    deleteAfterSeconds: o.seconds ?? 20,
    backoffScale: 0.05,
    ...(o.until ? { until: parseUntil(o.until) } : {}),
  });
  await run.run();
  expect([...runtime.containers.keys()], 'nothing of the pod is left').toEqual([]);
  return run;
}

const reasons = (events: readonly PodEvent[], container?: string) =>
  events.filter((e) => container === undefined || e.container === container).map((e) => e.reason);

describe.concurrent('the pod emulator on the fake runtime', () => {
  it('liveness: failureThreshold failures in a row kill the container, which is restarted (prober/worker.go doProbe; kuberuntime_manager.go computePodActions)', async () => {
    const run = await runPod(
      `  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: app:1
      livenessProbe: {exec: {command: ['false']}, periodSeconds: 1, failureThreshold: 2}
`,
      { until: 'app.restarts>=1' },
    );
    const app = reasons(run.timeline.events, 'app');
    // Ready at its start (it has no readiness probe), then one failure per period up to the threshold.
    expect(app.slice(0, app.indexOf('Killing'))).toEqual([
      'Pulled',
      'Created',
      'Started',
      'Ready',
      'Unhealthy',
      'Unhealthy',
    ]);
    const killing = run.timeline.events.find((e) => e.reason === 'Killing');
    expect(killing?.message).toBe('Container app failed liveness probe, will be restarted');
    expect(run.records.get('app')?.restartCount).toBe(1);
    expect(run.untilMet).toBe(true);
  });

  it('a container whose running state the runtime has yet to confirm is not probed, so not killed (prober/worker.go doProbe: wait for more information)', async () => {
    // Each inspect takes 1.5 s, longer than the probe's period: a worker that read the
    // started container as "not running" would store a liveness Failure and kill it.
    const run = await runPod(
      `  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: app:1
      livenessProbe: {exec: {command: ['true']}, periodSeconds: 1, failureThreshold: 1}
`,
      { until: 'app.ProbeSucceeded>=2', inspectDelayMs: 1500 },
    );
    expect(run.untilMet).toBe(true);
    const app = run.timeline.events.filter((e) => e.container === 'app');
    expect(app.filter((e) => e.reason === 'Unhealthy' || /liveness/.test(e.message)).map((e) => e.message)).toEqual([]);
    expect(run.records.get('app')?.restartCount).toBe(0);
  });

  it('readiness: Ready and the endpoint follow the probe, never before it succeeds (prober/worker.go; status_manager.go SetContainerReadiness)', async () => {
    const ready = await runPod(
      `  containers:
    - name: app
      image: app:1
      readinessProbe: {exec: {command: ['true']}, periodSeconds: 1}
`,
      { seconds: 1 },
    );
    const events = reasons(ready.timeline.events);
    expect(events.indexOf('Ready')).toBeGreaterThan(events.indexOf('Started'));
    expect(ready.timeline.events.find((e) => e.reason === 'Ready')?.message).toBe(
      'container is ready: readiness probe succeeded',
    );
    expect(ready.timeline.events.find((e) => e.reason === 'EndpointConditions')?.message).toBe(
      'ready=true serving=true terminating=false',
    );
    const never = await runPod(
      `  containers:
    - name: app
      image: app:1
      readinessProbe: {exec: {command: ['false']}, periodSeconds: 1}
`,
      { until: 'Unhealthy>=2', seconds: 10 },
    );
    expect(reasons(never.timeline.events)).not.toContain('Ready');
    expect(never.records.get('app')?.ready).toBe(false);
  });

  it('a startup probe holds liveness and readiness back, and its failures restart the container (prober/worker.go: probes wait for started)', async () => {
    const run = await runPod(
      `  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: app:1
      startupProbe: {exec: {command: ['false']}, periodSeconds: 1, failureThreshold: 2}
      readinessProbe: {exec: {command: ['true']}, periodSeconds: 1}
`,
      { until: 'app.restarts>=1' },
    );
    expect(run.timeline.events.find((e) => e.reason === 'Killing')?.message).toBe(
      'Container app failed startup probe, will be restarted',
    );
    expect(reasons(run.timeline.events)).not.toContain('Ready');
  });

  it('getPhase: Never with a container that exits 0 is Succeeded, one that exits non-zero Failed (kubelet_pods.go getPhase)', async () => {
    const pod = (code: number) => `  restartPolicy: Never
  containers:
    - name: app
      image: app:1
      env: [{name: APP_EXIT_CODE, value: "${code}"}]
`;
    const ok = await runPod(pod(0), { until: 'phase=Succeeded', seconds: 10 });
    expect(ok.phase).toBe('Succeeded');
    expect(ok.records.get('app')?.state).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
    const failed = await runPod(pod(3), { until: 'phase=Failed', seconds: 10 });
    expect(failed.phase).toBe('Failed');
    expect(failed.records.get('app')?.state).toMatchObject({ terminated: { exitCode: 3, reason: 'Error' } });
  });

  it('init containers run one at a time, in order, each to completion before the app starts (kuberuntime_manager.go computePodActions, findNextInitContainerToRun)', async () => {
    const run = await runPod(
      `  initContainers:
    - {name: one, image: app:1, env: [{name: APP_EXIT_CODE, value: "0"}, {name: APP_EXIT_AFTER, value: "0.2"}]}
    - {name: two, image: app:1, env: [{name: APP_EXIT_CODE, value: "0"}]}
  containers:
    - {name: app, image: app:1}
`,
      { until: 'phase=Running', seconds: 10 },
    );
    const events = run.timeline.events;
    const order = events
      .slice(
        0,
        events.findIndex((e) => e.reason === 'Deleting'),
      )
      .filter((e) => e.reason === 'Started' || e.reason === 'Terminated')
      .map((e) => `${e.reason} ${e.container}`);
    expect(order).toEqual(['Started one', 'Terminated one', 'Started two', 'Terminated two', 'Started app']);
  });

  it('deletion: the preStop hook runs before the stop signal, and a program deaf to it is SIGKILLed when the grace period ends (kuberuntime_container.go killContainer, executePreStopHook)', async () => {
    const run = await runPod(
      `  terminationGracePeriodSeconds: 2
  containers:
    - name: app
      image: deaf:1
      lifecycle: {preStop: {exec: {command: ['log', 'preStop ran']}}}
`,
      { seconds: 1 },
    );
    const app = reasons(run.timeline.events, 'app');
    expect(app.slice(app.indexOf('Killing'))).toEqual([
      'Killing',
      'PreStopHookStarted',
      'PreStopHookSucceeded',
      'StopSignal',
      'SIGKILL',
      'NotReady',
      'Terminated',
    ]);
    expect(run.records.get('app')?.state).toMatchObject({ terminated: { exitCode: 137 } });
  });

  it('deletion: app containers first, then native sidecars, last first (kuberuntime_termination_order.go)', async () => {
    const run = await runPod(
      `  terminationGracePeriodSeconds: 2
  initContainers:
    - {name: first, image: app:1, restartPolicy: Always}
    - {name: second, image: app:1, restartPolicy: Always}
  containers:
    - {name: app, image: app:1}
`,
      { until: 'app.ready', seconds: 10 },
    );
    const stops = run.timeline.events.filter((e) => e.reason === 'Terminated').map((e) => e.container);
    expect(stops).toEqual(['app', 'second', 'first']);
  });

  it('under Never, the only container failing liveness kills the pod: "Stopping container", the pod\'s grace period, not the probe\'s (computePodActions KillPod; killPodWithSyncResult)', async () => {
    const run = await runPod(
      `  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  containers:
    - name: app
      image: app:1
      livenessProbe: {exec: {command: ['false']}, periodSeconds: 1, failureThreshold: 1, terminationGracePeriodSeconds: 1}
`,
      { until: 'phase=Succeeded', seconds: 10 },
    );
    const killing = run.timeline.events.filter((e) => e.reason === 'Killing');
    expect(killing.map((e) => e.message)).toEqual(['Stopping container app']);
    expect(run.timeline.events.find((e) => e.reason === 'StopSignal')?.message).toBe(
      'sending SIGTERM; 5 s left of the grace period',
    );
  });

  it('a probe on a port name the container does not declare errors at every attempt: never Ready, never counted (prober.go extractPort; worker.go: errors are thrown away)', async () => {
    const run = await runPod(
      `  containers:
    - name: app
      image: app:1
      readinessProbe: {httpGet: {port: http}, periodSeconds: 1}
      livenessProbe: {tcpSocket: {port: http}, periodSeconds: 1, failureThreshold: 1}
`,
      { until: 'Unhealthy>=4', seconds: 10 },
    );
    const unhealthy = new Set(run.timeline.events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message));
    expect(unhealthy).toEqual(
      new Set([
        'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "http": invalid syntax',
        'Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing "http": invalid syntax',
      ]),
    );
    expect(reasons(run.timeline.events, 'app')).not.toContain('Ready');
    expect(run.records.get('app')?.restartCount).toBe(0);
  });

  it("an exec probe the runtime cannot run (Docker's OCI refusal of a missing program) errors, is tried 3 times, and never restarts the container (prober.go runProbeWithRetries; exec.go)", async () => {
    const base = podAppImage();
    let attempts = 0;
    const counting: FakeImage = {
      ...base,
      exec: (c, cmd, options) => {
        if (cmd[0] === 'no-such-probe') attempts++;
        return base.exec?.(c, cmd, options);
      },
    };
    const run = await runPod(
      `  containers:
    - name: app
      image: counting:1
      livenessProbe: {exec: {command: ['no-such-probe']}, periodSeconds: 1, failureThreshold: 1}
`,
      { until: 'Unhealthy>=2', seconds: 10, images: { 'counting:1': counting } },
    );
    const unhealthy = run.timeline.events.filter((e) => e.reason === 'Unhealthy');
    expect(unhealthy[0]?.message).toMatch(
      /^Liveness probe errored and resulted in unknown state: OCI runtime exec failed: .*"no-such-probe": executable file not found/,
    );
    // Each probe, one Unhealthy event, is three attempts.
    expect(attempts).toBe(3 * unhealthy.length);
    expect(run.timeline.events.filter((e) => /failed liveness probe/.test(e.message))).toEqual([]);
    expect(run.records.get('app')?.restartCount).toBe(0);
  });

  it('grace arithmetic in whole seconds: a preStop that ran 1.5 s takes 1 s off; a 0 s sleep hook is accepted and runs (killContainer, executePreStopHook; validateSleepAction)', async () => {
    const run = await runPod(
      `  terminationGracePeriodSeconds: 5
  containers:
    - name: app
      image: app:1
      lifecycle: {preStop: {exec: {command: [sleep, '1.5']}}}
    - name: other
      image: app:1
      lifecycle: {preStop: {sleep: {seconds: 0}}}
`,
      { seconds: 1 },
    );
    const event = (reason: string, c: string) =>
      run.timeline.events.find((e) => e.reason === reason && e.container === c);
    // The hook ran about 1.5 s (longer on a busy machine): only its whole seconds come off,
    // so what is left is a whole number, at least the exact remainder (3.5 for 1.5 s) and
    // less than a second above it (the two clocks read the hook's run a few ms apart).
    const hookS =
      ((event('PreStopHookSucceeded', 'app')?.atMs ?? 0) - (event('PreStopHookStarted', 'app')?.atMs ?? 0)) / 1000;
    expect(hookS).toBeGreaterThan(1.4);
    const left = Number(
      /^sending SIGTERM; (\d+) s left of the grace period$/.exec(event('StopSignal', 'app')?.message ?? '')?.[1],
    );
    expect(left).toBeGreaterThanOrEqual(Math.max(2, 5 - hookS - 0.05));
    expect(left).toBeLessThan(Math.max(2, 5 - hookS) + 1.05);
    expect(event('StopSignal', 'other')?.message).toBe('sending SIGTERM; 5 s left of the grace period');
    expect(
      run.timeline.events.find((e) => e.reason === 'PreStopHookSucceeded' && e.container === 'other')?.message,
    ).toBe('preStop hook finished: slept 0 s');
  });

  it("sidecars at deletion: Killing and preStop at once with the app's, only their stop waits its turn (kuberuntime_termination_order.go waitForTurn)", async () => {
    const run = await runPod(
      `  terminationGracePeriodSeconds: 5
  initContainers:
    - {name: side, image: app:1, restartPolicy: Always, lifecycle: {preStop: {exec: {command: [log, side preStop]}}}}
  containers:
    - {name: app, image: app:1, lifecycle: {preStop: {exec: {command: [sleep, '1.2']}}}}
`,
      { seconds: 1 },
    );
    const events = run.timeline.events.map((e) => `${e.reason} ${e.container ?? ''}`);
    const at = (what: string) => events.indexOf(what);
    // The sidecar's preStop finished while the app's still ran; its stop came after the app exited.
    expect(at('PreStopHookSucceeded side')).toBeLessThan(at('PreStopHookSucceeded app'));
    expect(at('Terminated app')).toBeLessThan(at('StopSignal side'));
    // Its turn (the app's 1.2 s preStop and stop) took whole seconds off its 5 s: fewer are left, a whole number.
    const left = /^sending SIGTERM; (\d+) s left of the grace period$/.exec(
      run.timeline.events.find((e) => e.reason === 'StopSignal' && e.container === 'side')?.message ?? '',
    )?.[1];
    expect(Number(left)).toBeGreaterThanOrEqual(2);
    expect(Number(left)).toBeLessThanOrEqual(4);
  });

  it('an image the runtime lacks: Pulling, "Failed to pull image", Error: ErrImagePull, then ImagePullBackOff until the back-off has passed; the pod stays Pending, the run goes on (image_manager.go EnsureImageExists)', async () => {
    const run = await runPod(
      `  containers:
    - {name: app, image: app:1}
    - {name: gone, image: 'registry.invalid/gone:1'}
`,
      { until: 'gone.Pulling>=2', seconds: 10 },
    );
    const gone = run.timeline.events
      .filter((e) => e.container === 'gone')
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
    expect(gone.slice(0, 5)).toEqual([
      'Normal Pulling: Pulling image "registry.invalid/gone:1"',
      'Warning Failed: Failed to pull image "registry.invalid/gone:1": the fake runtime has no registry',
      'Warning Failed: Error: ErrImagePull',
      'Normal BackOff: Back-off pulling image "registry.invalid/gone:1"',
      'Warning Failed: Error: ImagePullBackOff',
    ]);
    // Every sync within the back-off says so again; once it has passed, the next pull.
    const next = gone.indexOf('Normal Pulling: Pulling image "registry.invalid/gone:1"', 1);
    expect(new Set(gone.slice(3, next))).toEqual(
      new Set([
        'Normal BackOff: Back-off pulling image "registry.invalid/gone:1"',
        'Warning Failed: Error: ImagePullBackOff',
      ]),
    );
    expect(run.phase).toBe('Pending');
    expect(reasons(run.timeline.events, 'app')).toContain('Started');
  });

  it('imagePullPolicy: Never and absent is ErrImageNeverPull; Always pulls even a present image (image_manager.go shouldPullImage)', async () => {
    const run = await runPod(
      `  containers:
    - {name: never, image: 'absent:1', imagePullPolicy: Never}
    - {name: always, image: app:1, imagePullPolicy: Always}
`,
      { until: 'always.Started>=1', seconds: 10 },
    );
    const of = (c: string) =>
      run.timeline.events.filter((e) => e.container === c).map((e) => `${e.reason}: ${e.message}`);
    expect(of('never').slice(0, 2)).toEqual([
      'ErrImageNeverPull: Container image "absent:1" is not present with pull policy of Never',
      'Failed: Error: ErrImageNeverPull',
    ]);
    expect(run.records.get('never')?.state).toMatchObject({ waiting: { reason: 'ErrImageNeverPull' } });
    expect(of('always').slice(0, 2)).toEqual([
      'Pulling: Pulling image "app:1"',
      expect.stringMatching(/^Pulled: Successfully pulled image "app:1" in \d+ms \(\d+ms including waiting\)$/),
    ]);
  });

  it('a container the runtime refuses to start: Error: <its words>, a StartError termination (128), restarted with back-off as CrashLoopBackOff; its sibling runs on (kuberuntime_container.go startContainer)', async () => {
    const broken: FakeImage = {
      ...podAppImage(),
      startError:
        'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "no-such-program": executable file not found in $PATH: unknown',
    };
    const run = await runPod(
      `  containers:
    - {name: app, image: app:1}
    - {name: broken, image: broken:1}
`,
      { until: 'broken.BackOff>=1', seconds: 10, images: { 'broken:1': broken } },
    );
    const failed = run.timeline.events.find((e) => e.reason === 'Failed' && e.container === 'broken');
    expect(failed?.message).toMatch(
      /^Error: failed to create shim task: OCI runtime create failed: .*"no-such-program"/,
    );
    const r = run.records.get('broken');
    expect(r?.restartCount).toBeGreaterThanOrEqual(1);
    expect(r?.state).toMatchObject({ waiting: { reason: 'CrashLoopBackOff' } });
    expect(r?.lastState).toMatchObject({ terminated: { exitCode: 128, reason: 'StartError' } });
    // The sibling ran on until the pod's deletion.
    const events = run.timeline.events.map((e) => `${e.reason} ${e.container ?? ''}`);
    expect(events.indexOf('Terminated app')).toBeGreaterThan(events.indexOf('Deleting '));
    expect(run.records.get('app')?.restartCount).toBe(0);
  });

  it('an HTTPS hook answered in plain HTTP is tried again in HTTP and succeeds, with a LifecycleHTTPFallback event (lifecycle/handlers.go runHTTPHandler)', async () => {
    const run = await runPod(
      `  containers:
    - name: app
      image: app:1
      lifecycle: {postStart: {httpGet: {port: 8080, scheme: HTTPS}}}
`,
      { until: 'app.Started>=1', seconds: 10 },
    );
    const fallback = run.timeline.events.find((e) => e.reason === 'LifecycleHTTPFallback');
    expect(fallback).toMatchObject({
      type: 'Warning',
      container: null,
      message: expect.stringMatching(
        /^request to HTTPS lifecycle hook 10\.89\.0\.\d+:8080 got HTTP response, retry with HTTP succeeded$/,
      ),
    });
    expect(run.timeline.events.find((e) => e.reason === 'PostStartHookSucceeded')?.message).toBe(
      'postStart hook finished: HTTP 200',
    );
  });
});
