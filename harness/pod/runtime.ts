import type { Container } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { StartCancelledError } from '../errors.js';
import { RunningContainer, type ExitedContainer } from '../run/container.js';
import { containerEnv, expand } from './expansion.js';
import { MESSAGES, type Timeline } from './events.js';
import { runHook } from './handlers.js';
import type { ImagePuller } from './images.js';
import type { TerminationOrdering } from './termination-order.js';
import { formatPod, type PodSpecResolved } from './manifest.js';
import type { PodSandbox } from './network.js';

/** The least grace period a container's stop is given (kuberuntime_container.go minimumGracePeriodInSeconds). */
const MINIMUM_GRACE_SECONDS = 2;

export function terminatedReason(exited: ExitedContainer): string {
  if (exited.oomKilled) return 'OOMKilled';
  return exited.exitCode === 0 ? 'Completed' : 'Error';
}

/** What the runner needs of the pod. */
export interface RuntimePod {
  runtime: ContainerRuntime;
  spec: PodSpecResolved;
  emit: Timeline['emit'];
  now(): number;
  sandbox: PodSandbox;
  labels(container: string): Record<string, string>;
  /** Aborts when the pod is deleted (a postStart hook is then cut short). */
  deletion: AbortSignal;
  /** Makes each container's image present as its pull policy says (the image manager). */
  images: ImagePuller;
}

/** The values `valueFrom.fieldRef` reads. */
function fieldRefs(pod: RuntimePod): Map<string, string> {
  return new Map([
    ['metadata.name', pod.spec.name],
    ['metadata.namespace', pod.spec.namespace],
    ['metadata.uid', pod.spec.uid],
    ['status.podIP', pod.sandbox.podIP],
    ['spec.nodeName', 'harness-node'],
  ]);
}

/**
 * The runtime manager (pkg/kubelet/kuberuntime): starting and killing containers over
 * the ContainerRuntime (kuberuntime_container.go):
 * startContainer (create, start, postStart; a failed hook kills the container) and
 * killContainer (preStop inside the grace period, the stop signal, the rest of the
 * grace period but at least 2 s, SIGKILL).
 */
export class RuntimeManager {
  constructor(private readonly pod: RuntimePod) {}

  /** The container's environment: plain values and field references, `$(VAR)` expanded in order. */
  env(c: Container): Map<string, string> {
    const refs = fieldRefs(this.pod);
    return containerEnv(
      (c.env ?? []).map((e) => ({
        name: e.name,
        value: e.valueFrom?.fieldRef ? refs.get(e.valueFrom.fieldRef.fieldPath) : e.value,
      })),
    );
  }

  /** Create and start an instance; resolves once its postStart hook (if any) has returned. */
  async start(c: Container, restartCount: number): Promise<{ instance: RunningContainer; hookFailed: boolean }> {
    const { pod } = this;
    const env = this.env(c);
    // Once the pod's deletion began, no container starts (the pod worker stops syncing starts).
    if (pod.deletion.aborted) throw new StartCancelledError(`container ${c.name}`);
    await pod.images.ensure(c, pod.deletion);
    const instance = await RunningContainer.start(pod.runtime, {
      image: c.image ?? '',
      purpose: 'pod-container',
      labels: { ...pod.labels(c.name), 'io.harness.restart': String(restartCount) },
      entrypoint: c.command?.map((a) => expand(a, env)),
      cmd: c.command && !c.args ? [] : c.args?.map((a) => expand(a, env)),
      env: Object.fromEntries(env),
      workingDir: c.workingDir,
      ...pod.sandbox.join(c.name, restartCount),
      startUnless: pod.deletion,
    });
    pod.emit('Normal', 'Created', c.name, MESSAGES.created(c.name));
    pod.emit('Normal', 'Started', c.name, MESSAGES.started(c.name));
    const postStart = c.lifecycle?.postStart;
    if (!postStart) return { instance, hookFailed: false };
    pod.emit(
      'Normal',
      'PostStartHookStarted',
      c.name,
      'running the postStart hook; the container is not Running until it returns',
    );
    const h = await runHook(postStart, c, formatPod(pod.spec), instance, pod.sandbox.net, 3_600_000, pod.deletion);
    if (h.fallback) pod.emit('Warning', 'LifecycleHTTPFallback', null, h.fallback);
    if (h.ok) {
      pod.emit('Normal', 'PostStartHookSucceeded', c.name, `postStart hook finished: ${h.detail}`);
      return { instance, hookFailed: false };
    }
    // The kubelet keeps the hook's output out of the event (it may hold secrets).
    pod.emit('Warning', 'FailedPostStartHook', c.name, MESSAGES.postStartFailed, h.detail);
    return { instance, hookFailed: true };
  }

  /**
   * The termination sequence (kuberuntime_container.go killContainer), in whole
   * seconds as the kubelet counts them: the Killing event; the preStop hook, given the
   * grace period, whose run takes its whole seconds off it; with `ordering`, the wait
   * for its turn to stop, whose whole seconds come off too; then the stop signal with
   * what is left, but at least 2 s (minimumGracePeriodInSeconds), and SIGKILL. Resolves
   * with the exited instance (null if it never exited).
   */
  async kill(
    c: Container,
    instance: RunningContainer,
    graceSeconds: number,
    message: string,
    ordering?: TerminationOrdering,
  ): Promise<ExitedContainer | null> {
    const { pod } = this;
    pod.emit('Normal', 'Killing', c.name, message);
    let grace = Math.floor(graceSeconds);
    const preStop = c.lifecycle?.preStop;
    if (preStop && grace > 0 && !(await instance.exitedYet())) {
      pod.emit('Normal', 'PreStopHookStarted', c.name, `running the preStop hook (grace ${grace} s)`);
      const t0 = pod.now();
      const budget = AbortSignal.timeout(grace * 1000);
      const h = await runHook(preStop, c, formatPod(pod.spec), instance, pod.sandbox.net, grace * 1000, budget);
      if (h.fallback) pod.emit('Warning', 'LifecycleHTTPFallback', null, h.fallback);
      if (h.ok) pod.emit('Normal', 'PreStopHookSucceeded', c.name, `preStop hook finished: ${h.detail}`);
      else pod.emit('Warning', 'FailedPreStopHook', c.name, MESSAGES.preStopFailed, h.detail);
      grace -= Math.floor((pod.now() - t0) / 1000);
    }
    if (ordering && grace > 0) grace -= Math.floor((await ordering.waitForTurn(c.name, grace * 1000)) / 1000);
    grace = Math.max(grace, MINIMUM_GRACE_SECONDS);
    const stopSignal = (await instance.config()).stopSignal;
    let exited = await instance.exitedYet();
    if (!exited && pod.sandbox.stopsWithTimeout) return this.stopWithTimeout(c, instance, stopSignal, grace);
    if (!exited) {
      pod.emit('Normal', 'StopSignal', c.name, `sending ${stopSignal}; ${grace} s left of the grace period`);
      await instance.signal(stopSignal);
      exited = await instance.waitExit(grace * 1000);
      if (!exited) {
        pod.emit('Warning', 'SIGKILL', c.name, 'still running when the grace period ran out: sending SIGKILL');
        await instance.signal('SIGKILL');
        exited = await instance.waitExit(60_000);
      }
    }
    return exited;
  }

  /**
   * The stop as the kubelet asks a CRI runtime for it (StopContainer with what is left of
   * the grace period as its timeout): the runtime sends the stop signal, waits, and
   * sends SIGKILL itself. The SIGKILL event says the container was still running when
   * that timeout ran out (looked at then), which is when the runtime kills it.
   */
  private async stopWithTimeout(
    c: Container,
    instance: RunningContainer,
    stopSignal: string,
    grace: number,
  ): Promise<ExitedContainer | null> {
    const { pod } = this;
    pod.emit(
      'Normal',
      'StopSignal',
      c.name,
      `sending ${stopSignal}; ${grace} s left of the grace period (StopContainer with that timeout: the runtime sends it, and SIGKILL after)`,
    );
    let stopped = false;
    const timer = setTimeout(() => {
      if (stopped) return;
      void instance.exitedYet().then(
        (exited) => {
          if (!exited)
            pod.emit(
              'Warning',
              'SIGKILL',
              c.name,
              'still running when the grace period ran out: the runtime sends SIGKILL',
            );
        },
        () => undefined,
      );
    }, grace * 1000);
    try {
      return (await instance.stop(grace)).exited;
    } finally {
      stopped = true;
      clearTimeout(timer);
    }
  }
}
