import type { Container } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../harness/pod/events.js';
import { parsePod, type ProbeKind } from '../../harness/pod/manifest.js';
import { runPodSandbox } from '../../harness/pod/network.js';
import { ProberManager } from '../../harness/pod/prober/manager.js';
import type { ProbeResult } from '../../harness/pod/prober/results.js';
import { StatusManager } from '../../harness/pod/status.js';
import { RunningContainer } from '../../harness/run/container.js';
import { FakeRuntime, type FakeImage } from '../../harness/runtime/fake.js';
import { podAppImage, toolboxImage } from '../support/fake-images.js';

/**
 * The pod emulator's prober manager and status manager, each on its own, on the fake
 * runtime: the rules the kubelet (v1.33) source states for them, each test naming the
 * file and function. pod-on-fake.test.ts runs them together in a pod.
 */

/**
 * A prober manager for a pod of one container `app`, added before the container exists
 * (AddPod), with every result it reports. `start()` runs an instance of the container
 * (the fake runtime's `image`), `stop()` ends it; `started` says whether the container
 * has started (its startup probe, if any, succeeded).
 */
async function prober(container: Container, image: FakeImage = podAppImage()) {
  const runtime = new FakeRuntime().image('toolbox', toolboxImage()).image('app:1', image);
  const sandbox = await runPodSandbox(runtime, 'toolbox', {
    name: 'p',
    namespace: 'default',
    uid: 'u',
    shareProcessNamespace: false,
    labels: {},
  });
  const net = sandbox.net;
  const spec = parsePod(
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - ${JSON.stringify({ image: 'app:1', ...container })}\n`,
    'inline',
  );
  const timeline = new Timeline();
  const reported: string[] = [];
  const state = { instance: null as RunningContainer | null, running: false, started: false, startedAtMs: 0 };
  /** How many times the container was looked at (each tick of a worker looks once). */
  let ticks = 0;
  const manager = new ProberManager(
    {
      emit: (...a) => timeline.emit(...a),
      current: () =>
        ++ticks && state.instance
          ? {
              instance: state.instance,
              running: state.running,
              final: false,
              startedAtMs: state.startedAtMs,
              started: state.started,
            }
          : null,
      terminating: () => false,
      podDone: () => false,
      onResult: (kind: ProbeKind, name: string, result: ProbeResult) => reported.push(`${kind} ${name} ${result}`),
    },
    () => net,
  );
  manager.addPod(spec);
  const instances: RunningContainer[] = [];
  const p = {
    manager,
    timeline,
    reported,
    state,
    ticks: () => ticks,
    async start(started = true) {
      state.instance = await RunningContainer.start(runtime, { image: 'app:1', purpose: 'pod-container' });
      instances.push(state.instance);
      Object.assign(state, { running: true, started, startedAtMs: Date.now() });
      manager.updatePodStatus();
      return state.instance;
    },
    stop() {
      state.running = false;
      state.started = false;
      if (state.instance) manager.removeContainer(state.instance.id);
    },
    async done() {
      await manager.stopAll();
      await Promise.all(instances.map((i) => i.remove()));
      await sandbox.remove();
      expect([...runtime.containers.keys()]).toEqual([]);
    },
  };
  return p;
}

const until = async (holds: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!holds() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return holds();
};

/** An image whose `probe` command answers from a script: exit codes, or 'refused' (the runtime cannot run it). */
function scripted(answers: (number | 'refused')[]): FakeImage & { asked: () => number } {
  const base = podAppImage();
  let asked = 0;
  return {
    ...base,
    asked: () => asked,
    exec: (c, cmd, options) => {
      if (cmd[0] !== 'probe') return base.exec?.(c, cmd, options);
      asked++;
      const a = answers.shift() ?? 0;
      return a === 'refused'
        ? { exitCode: 126, stdout: 'OCI runtime exec failed: exec failed: exec: "probe": permission denied: unknown' }
        : { exitCode: a };
    },
  };
}

describe.concurrent('prober manager (pkg/kubelet/prober)', () => {
  it('AddPod: workers exist before the container; each new instance gets the initial results (prober_manager.go AddPod; worker.go doProbe: new container ID, initialValue)', async () => {
    const p = await prober({
      name: 'app',
      livenessProbe: { exec: { command: ['true'] }, periodSeconds: 60 },
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 60 },
    });
    // No instance yet: nothing is written.
    expect(p.reported).toEqual([]);
    const first = await p.start();
    // Readiness is triggered at once for a started container that is not ready (UpdatePodStatus).
    expect(await until(() => p.manager.result('readinessProbe', first.id) === 'Success')).toBe(true);
    expect(p.reported).toEqual(['readinessProbe app Failure', 'readinessProbe app Success']);
    // Liveness waits for its ticker (a minute here): still no result for this instance.
    expect(p.manager.result('livenessProbe', first.id)).toBeUndefined();
    await p.done();
  });

  it('failures count towards failureThreshold across a restart, and a liveness failure at the threshold holds the worker until the next instance (worker.go: lastResult, resultRun, onHold)', async () => {
    const image = scripted([1, 1, 1]);
    const p = await prober(
      { name: 'app', livenessProbe: { exec: { command: ['probe'] }, periodSeconds: 1, failureThreshold: 2 } },
      image,
    );
    await p.start();
    expect(await until(() => p.reported.includes('livenessProbe app Failure'))).toBe(true);
    expect(image.asked()).toBe(2);
    // On hold: two more ticks of the worker ask nothing more of this instance.
    const asked = image.asked();
    const ticked = p.ticks();
    expect(await until(() => p.ticks() >= ticked + 2)).toBe(true);
    expect(image.asked()).toBe(asked);
    p.stop();
    await p.start();
    // The next instance: Success first, then one failure of a new run (resultRun was reset when it held).
    expect(await until(() => p.timeline.events.filter((e) => e.reason === 'Unhealthy').length === 3)).toBe(true);
    expect(p.reported.filter((r) => r.startsWith('livenessProbe'))).toEqual([
      'livenessProbe app Success',
      'livenessProbe app Failure',
      'livenessProbe app Success',
    ]);
    await p.done();
  });

  it('a probe the runtime cannot run is tried 3 times and thrown away: it neither counts nor resets the run (prober.go runProbeWithRetries; worker.go doProbe)', async () => {
    const image = scripted([1, 'refused', 'refused', 'refused', 1]);
    const p = await prober(
      { name: 'app', livenessProbe: { exec: { command: ['probe'] }, periodSeconds: 1, failureThreshold: 2 } },
      image,
    );
    await p.start();
    expect(await until(() => p.reported.includes('livenessProbe app Failure'))).toBe(true);
    expect(image.asked()).toBe(5);
    expect(p.timeline.events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message)).toEqual([
      'Liveness probe failed: ',
      'Liveness probe errored and resulted in unknown state: OCI runtime exec failed: exec failed: exec: "probe": permission denied: unknown',
      'Liveness probe failed: ',
    ]);
    await p.done();
  });

  it('liveness and readiness wait until the container has started, then probe (worker.go doProbe: !started)', async () => {
    const p = await prober({
      name: 'app',
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
      livenessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
    });
    const instance = await p.start(false);
    // Two ticks of each worker see the new instance (its initial results) and probe nothing.
    const ticked = p.ticks();
    expect(await until(() => p.ticks() >= ticked + 4)).toBe(true);
    expect(p.manager.result('readinessProbe', instance.id)).toBe('Failure');
    expect(p.manager.result('livenessProbe', instance.id)).toBe('Success');
    expect(p.timeline.events).toEqual([]);
    p.state.started = true;
    expect(await until(() => p.manager.result('readinessProbe', instance.id) === 'Success')).toBe(true);
    expect(await until(() => p.timeline.events.some((e) => e.message === 'Liveness probe succeeded'))).toBe(true);
    await p.done();
  });

  it('StopLivenessAndStartup: liveness is set to Success and stops; readiness goes on (prober_manager.go StopLivenessAndStartup)', async () => {
    const p = await prober({
      name: 'app',
      livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 },
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
    });
    const instance = await p.start();
    expect(await until(() => p.manager.result('livenessProbe', instance.id) === 'Failure')).toBe(true);
    p.manager.stopLivenessAndStartup();
    expect(p.manager.result('livenessProbe', instance.id)).toBe('Success');
    const probes = () => p.timeline.events.filter((e) => e.reason === 'ProbeSucceeded').length;
    const before = probes();
    expect(await until(() => probes() > before, 3000)).toBe(true);
    p.stop();
    // Removed: its results are forgotten.
    expect(p.manager.result('readinessProbe', instance.id)).toBeUndefined();
    await p.done();
  });
});

describe('status manager (pkg/kubelet/status)', () => {
  const spec = parsePod(
    `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers: [{name: init, image: app}]
  containers:
    - {name: app, image: app, readinessProbe: {exec: {command: ['true']}}}
`,
    'inline',
  );

  it('SetContainerReadiness: Ready and NotReady once per change, and the endpoint follows the pod (status_manager.go SetContainerReadiness; generate.go GeneratePodReadyCondition)', () => {
    const timeline = new Timeline();
    const status = new StatusManager(spec, (...a) => timeline.emit(...a));
    expect(status.records.get('init')?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    status.record('init').state = {
      terminated: { exitCode: 0, reason: 'Completed', startedAt: '', finishedAt: '' },
    };
    status.updateReady('init', false, undefined);
    const app = status.record('app');
    app.started = true;
    app.state = { running: { startedAt: '' } };
    status.updateReady('app', true, 'Failure');
    status.updateReady('app', true, 'Success');
    status.updateReady('app', true, 'Success');
    status.updateReady('app', false, 'Success');
    expect(timeline.events.map((e) => `${e.reason} ${e.container ?? ''} ${e.message}`)).toEqual([
      'Ready init container is ready: completed',
      'Ready app container is ready: readiness probe succeeded',
      'EndpointConditions  ready=true serving=true terminating=false',
      'NotReady app container is not ready: the container exited',
      'EndpointConditions  ready=false serving=false terminating=false',
    ]);
  });

  it('a deleted pod is not ready and its endpoint says terminating (endpointslice: serving while terminating)', () => {
    const status = new StatusManager(spec, () => undefined as never);
    status.terminating = true;
    expect(status.endpoint()).toEqual({ ready: false, serving: false, terminating: true });
    expect(status.phase).toBe('Pending');
  });
});
