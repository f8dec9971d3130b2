import type { Container } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../harness/pod/events.js';
import { parsePod, type ProbeKind } from '../../harness/pod/manifest.js';
import { PodNetwork } from '../../harness/pod/network.js';
import { ProberManager } from '../../harness/pod/prober/manager.js';
import type { ProbeResult } from '../../harness/pod/prober/results.js';
import { StatusManager } from '../../harness/pod/status.js';
import { RunningContainer } from '../../harness/run/container.js';
import { FakeRuntime } from '../../harness/runtime/fake.js';
import { podAppImage, toolboxImage } from '../support/fake-images.js';

/**
 * The pod emulator's prober manager and status manager, each on its own, on the fake
 * runtime: the rules the kubelet (v1.33) source states for them, each test naming the
 * file and function. pod-on-fake.test.ts runs them together in a pod.
 */

/** A prober manager over one running container of the fake runtime, with every result it reports. */
async function prober(opts: { started?: () => boolean } = {}) {
  const runtime = new FakeRuntime().image('toolbox', toolboxImage()).image('app', podAppImage());
  const net = await PodNetwork.create(runtime, 'toolbox', 'p', {});
  const instance = await RunningContainer.start(runtime, { image: 'app', purpose: 'pod-container' });
  const timeline = new Timeline();
  const reported: string[] = [];
  const manager = new ProberManager(
    {
      emit: (...a) => timeline.emit(...a),
      started: opts.started ?? (() => true),
      terminating: () => false,
      onResult: (kind: ProbeKind, name: string, result: ProbeResult) => reported.push(`${kind} ${name} ${result}`),
    },
    () => net,
  );
  const done = async () => {
    await manager.removeContainer(instance.id);
    await instance.remove();
    await net.node.remove();
    expect([...runtime.containers.keys()]).toEqual([]);
  };
  return { manager, instance, timeline, reported, done };
}

const until = async (holds: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!holds() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return holds();
};

describe.concurrent('prober manager (pkg/kubelet/prober)', () => {
  it('AddPod: a worker per probe, each result set first to its initial value (worker.go newWorker: initialValue)', async () => {
    const p = await prober();
    p.manager.addContainer(
      {
        name: 'app',
        livenessProbe: { exec: { command: ['true'] }, periodSeconds: 60 },
        readinessProbe: { exec: { command: ['true'] }, periodSeconds: 60 },
      },
      p.instance,
      Date.now(),
    );
    expect(p.reported.slice(0, 2)).toEqual(['livenessProbe app Success', 'readinessProbe app Failure']);
    // The first probe runs at once: readiness turns Success.
    expect(await until(() => p.manager.result('readinessProbe', p.instance.id) === 'Success')).toBe(true);
    expect(p.manager.result('startupProbe', p.instance.id)).toBeUndefined();
    await p.done();
  });

  it('a result is written only after failureThreshold failures in a row, then the liveness worker holds (worker.go doProbe: resultRun, onHold)', async () => {
    const c: Container = {
      name: 'app',
      livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 },
    };
    const p = await prober();
    p.manager.addContainer(c, p.instance, Date.now());
    expect(await until(() => p.reported.includes('livenessProbe app Failure'))).toBe(true);
    const unhealthy = p.timeline.events.filter((e) => e.reason === 'Unhealthy');
    expect(unhealthy.map((e) => e.message)).toEqual(['Liveness probe failed: ', 'Liveness probe failed: ']);
    expect(p.reported).toEqual(['livenessProbe app Success', 'livenessProbe app Failure']);
    await p.done();
  });

  it('liveness and readiness wait until the container has started (worker.go doProbe: !started)', async () => {
    const c: Container = { name: 'app', readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } };
    let asked = 0;
    const p = await prober({ started: () => (asked++, false) });
    p.manager.addContainer(c, p.instance, Date.now());
    // Two ticks of the worker have asked whether the container started, and skipped.
    expect(await until(() => asked >= 2)).toBe(true);
    expect(p.timeline.events.filter((e) => e.reason === 'ProbeSucceeded')).toEqual([]);
    expect(p.manager.result('readinessProbe', p.instance.id)).toBe('Failure');
    await p.done();
  });

  it('StopLivenessAndStartup: liveness is set to Success and stops; readiness goes on (prober_manager.go StopLivenessAndStartup)', async () => {
    const c: Container = {
      name: 'app',
      livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 },
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
    };
    const p = await prober();
    p.manager.addContainer(c, p.instance, Date.now());
    expect(await until(() => p.manager.result('livenessProbe', p.instance.id) === 'Failure')).toBe(true);
    p.manager.stopLivenessAndStartup();
    expect(p.manager.result('livenessProbe', p.instance.id)).toBe('Success');
    const probes = () => p.timeline.events.filter((e) => e.reason === 'ProbeSucceeded').length;
    const before = probes();
    expect(await until(() => probes() > before, 3000)).toBe(true);
    await p.done();
    // Removed: its results are forgotten (RemovePod).
    expect(p.manager.result('readinessProbe', p.instance.id)).toBeUndefined();
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
