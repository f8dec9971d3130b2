import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { errorNotes, StartCancelledError } from '../errors.js';
import { RunningContainer, type ExitedContainer } from '../run/container.js';
import { goDuration, MESSAGES, sleep, Timeline } from './events.js';
import { formatPod, resolveProbe, type PodSpecResolved } from './manifest.js';
import { runPodSandbox, type PodSandbox } from './network.js';
import { ProberManager } from './prober/manager.js';
import type { ProbedContainer } from './prober/worker.js';
import type { ProbeResult } from './prober/results.js';
import { Backoff } from './backoff.js';
import { RuntimeManager, terminatedReason, type RuntimePod } from './runtime.js';
import { StatusManager, type ContainerRecord, type PodPhase } from './status.js';
import { ImageError, ImagePuller } from './images.js';
import { computePodActions } from './sync.js';
import { TerminationOrdering } from './termination-order.js';
import type { PodCondition } from './until.js';

export type { ContainerRecord, State } from './status.js';

/** The zero time a container that never ran reports as its start. */
const EPOCH = '1970-01-01T00:00:00Z';

/**
 * What the runtime said when it refused to start a container, without the harness's
 * framing and the engine's HTTP status ("OCI runtime create failed: ...").
 */
function runtimeWords(err: unknown): string {
  const line = (errorNotes(err)[0] ?? '').split('\n')[0] ?? '';
  return line
    .replace(/^.*? did not start: /, '')
    .replace(/^\(HTTP code \d+\) [a-z ]+ - /, '')
    .trim();
}
export { terminatedReason } from './runtime.js';

export interface PodRunOptions {
  /**
   * Delete the pod (termination sequence) this many seconds after the start; with
   * `until`, at the latest this long after the start, the condition unmet (then it only
   * stops a hang).
   */
  deleteAfterSeconds: number;
  /** Delete the pod as soon as this holds (checked at every event). */
  until?: PodCondition;
  /** Overrides the pod's terminationGracePeriodSeconds for the deletion. */
  graceOverrideSeconds?: number;
  /** Multiplies every CrashLoopBackOff figure (1 = the kubelet's 10 s ... 300 s, reset after 600 s). */
  backoffScale: number;
}

/** One live container instance, and what ends the watch for its exit. */
interface Live {
  c: Container;
  instance: RunningContainer;
  /** Aborts the watch for its exit (it exited, or the pod is torn down). */
  stop: AbortController;
}

/**
 * The pod worker: a pod on a container runtime with the kubelet's semantics
 * (pkg/kubelet/pod_workers.go, kubelet.go syncPod / syncTerminatingPod). A sandbox on
 * the pod's own network; a sync that computes actions from the status (sync.ts,
 * computePodActions) and carries them out one at a time through the runtime manager
 * (runtime.ts: start, hooks, kill); the prober manager (prober/manager.ts) whose
 * results trigger the next sync; the status manager (status.ts) that keeps the
 * containers' records, readiness, phase and conditions. On deletion, the termination:
 * app containers at once, then sidecars in reverse order.
 */
export class PodRun {
  readonly timeline: Timeline;
  /** The status manager: records, readiness, phase, conditions. */
  readonly status: StatusManager;
  /** The prober manager: a worker per probe of each running container. */
  private readonly prober: ProberManager;
  /** With `until`: whether it held before the deadline (null without one). */
  untilMet: boolean | null = null;
  /** The sandbox's start, request to running (host monotonic, ms): the engine's latency for this pod. */
  engineLatencyMs = 0;
  private deleteRequested = false;
  private sandbox?: PodSandbox;
  private runtimeManager?: RuntimeManager;
  private readonly deletion = new AbortController();
  private readonly live = new Map<string, Live>();
  /** Each container's latest instance, running or not (what its probe workers look at). */
  private readonly latest = new Map<string, RunningContainer>();
  /** Instances whose exit has been recorded (the watch and a kill may both see it). */
  private readonly handledExits = new Set<string>();
  private readonly dead: RunningContainer[] = [];
  private readonly exitSeenAt = new Map<string, number>();
  private readonly backoff: Backoff;
  /** The image manager: pulls as each container's policy says, with its own back-off. */
  private readonly images: ImagePuller;
  private syncing: Promise<void> | null = null;
  private resync = false;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** The first error that stopped a container from being run at all. */
  private fault: unknown;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly toolboxImage: string,
    readonly spec: PodSpecResolved,
    private readonly options: PodRunOptions,
    progress?: (line: string) => void,
  ) {
    this.timeline = new Timeline(progress, () => this.checkUntil());
    if (options.until) this.untilMet = false;
    this.backoff = new Backoff(options.backoffScale, () => this.timeline.now());
    this.images = new ImagePuller(
      runtime,
      this.emit,
      new Backoff(options.backoffScale, () => this.timeline.now()),
      () => this.timeline.now(),
    );
    this.status = new StatusManager(spec, this.emit);
    this.prober = new ProberManager(
      {
        emit: this.emit,
        current: (name) => this.probed(name),
        terminating: () => this.terminating,
        podDone: () => this.phase === 'Succeeded' || this.phase === 'Failed',
        onResult: (kind, name, result) => {
          if (!this.live.has(name)) return;
          if (kind === 'livenessProbe') {
            if (result === 'Failure') this.requestSync();
          } else if (kind === 'startupProbe') this.onStartupResult(name, result);
          else this.updateReady(name);
        },
      },
      () => (this.sandbox as PodSandbox).net,
    );
  }

  get records(): ReadonlyMap<string, ContainerRecord> {
    return this.status.records;
  }

  /** Set once the pod's termination finished (getPhase's podIsTerminal). */
  get podIsTerminal(): boolean {
    return this.status.podIsTerminal;
  }

  /** Whether the pod has been deleted (its deletion timestamp is set). */
  get terminating(): boolean {
    return this.status.terminating;
  }

  get sandboxReady(): boolean {
    return this.status.sandboxReady;
  }

  private emit = (...a: Parameters<Timeline['emit']>) => this.timeline.emit(...a);

  private record(name: string): ContainerRecord {
    return this.status.record(name);
  }

  private container(name: string): Container {
    return [...this.spec.initContainers, ...this.spec.containers].find((c) => c.name === name) as Container;
  }

  get phase(): PodPhase {
    return this.status.phase;
  }

  get podIP(): string {
    return this.sandbox?.podIP ?? '';
  }

  /** Whether the pod's Ready condition is True. */
  podReady(): boolean {
    return this.status.podReady();
  }

  /** The EndpointSlice's conditions for the pod. */
  endpoint() {
    return this.status.endpoint();
  }

  private labels(container: string): Record<string, string> {
    return { 'io.harness.pod': this.spec.name, 'io.harness.container': container };
  }

  /** Delete the pod once the run's stop condition holds. */
  private checkUntil(): void {
    const until = this.options.until;
    if (!until || this.deleteRequested) return;
    if (until.holds({ events: this.timeline.events, phase: this.phase, containers: this.records })) {
      this.untilMet = true;
      void this.delete(`condition met: ${until.text}`);
    }
  }

  /** A container as the prober sees it in the pod's status: its latest instance and state. */
  private probed(name: string): ProbedContainer | null {
    const instance = this.latest.get(name);
    if (!instance) return null;
    const r = this.record(name);
    const live = this.live.get(name)?.instance === instance;
    // Started, its running state not yet recorded (the engine is still being asked for
    // it): the status does not show this container yet, and the worker waits for more
    // information (worker.go doProbe) instead of probing a "non-running" container and
    // storing a Failure that would kill it.
    if (live && 'waiting' in r.state) return null;
    const running = live && 'running' in r.state;
    return {
      instance,
      running,
      final: !running && 'terminated' in r.state && this.spec.restartPolicy === 'Never' && r.kind !== 'sidecar',
      startedAtMs: 'running' in r.state ? Date.parse(r.state.running.startedAt) : 0,
      started: r.started,
    };
  }

  /** Run the pod until it is deleted (by the clock or by `until`), then tear it down. */
  async run(): Promise<void> {
    this.sandbox = await runPodSandbox(this.runtime, this.toolboxImage, {
      name: this.spec.name,
      namespace: this.spec.namespace,
      uid: this.spec.uid,
      shareProcessNamespace: this.spec.shareProcessNamespace,
      labels: { 'io.harness.pod': this.spec.name },
    });
    try {
      this.engineLatencyMs = this.sandbox.latencyMs;
      this.status.sandboxReady = true;
      this.emit('Normal', 'SandboxReady', null, this.sandbox.described);
      this.runtimeManager = new RuntimeManager(this.runtimePod());
      // AddPod: the probe workers exist from now on, before any container does.
      this.prober.addPod(this.spec);
      const deleteTimer = setTimeout(
        () =>
          void this.delete(
            this.options.until
              ? `deadline of ${this.options.deleteAfterSeconds} s passed before ${this.options.until.text} held`
              : 'deletion requested',
          ),
        // Counted from the start of the run (the timeline's zero), sandbox start included.
        this.options.deleteAfterSeconds * 1000 - this.timeline.now(),
      );
      this.timers.add(deleteTimer);
      this.requestSync();
      // A pod that ended by itself stays until its deletion, as the API object does.
      await sleep(3_600_000 * 24, this.deletion.signal);
      await this.syncing;
      await this.terminatePod();
      if (this.fault) throw this.fault;
    } finally {
      for (const t of this.timers) clearTimeout(t);
      this.status.terminating = true;
      await this.prober.stopAll();
      for (const l of this.live.values()) l.stop.abort();
      await Promise.all([...[...this.live.values()].map((l) => l.instance), ...this.dead].map((i) => i.remove()));
      this.status.sandboxReady = false;
      await this.sandbox.remove();
      this.emit('Normal', 'SandboxRemoved', null, 'pod deleted');
    }
  }

  private runtimePod(): RuntimePod {
    return {
      runtime: this.runtime,
      spec: this.spec,
      emit: this.emit,
      now: () => this.timeline.now(),
      sandbox: this.sandbox as PodSandbox,
      labels: (c) => this.labels(c),
      deletion: this.deletion.signal,
      images: this.images,
    };
  }

  /** Delete the pod: the endpoint stops routing to it at once, then every container's termination. */
  async delete(why: string): Promise<void> {
    if (this.deleteRequested) return;
    this.deleteRequested = true;
    this.status.terminating = true;
    this.emit('Normal', 'Deleting', null, why);
    this.status.endpointChanged();
    // Liveness and startup probes stop (their result: Success); readiness goes on.
    this.prober.stopLivenessAndStartup();
    this.deletion.abort();
  }

  /** Ask for a sync; one runs at a time, and a request during one runs another after it. */
  private requestSync(): void {
    if (this.terminating) return;
    if (this.syncing) {
      this.resync = true;
      return;
    }
    this.syncing = (async () => {
      try {
        do {
          this.resync = false;
          await this.syncOnce();
        } while (this.resync && !this.terminating);
      } catch (err) {
        this.fault ??= err;
        void this.delete(`a container could not be run: ${errorNotes(err)[0]?.split('\n')[0]}`);
      } finally {
        this.syncing = null;
      }
    })();
  }

  private async syncOnce(): Promise<void> {
    if (this.terminating || this.podIsTerminal) return;
    const probeFailed = new Map<string, 'liveness' | 'startup'>();
    for (const [name, l] of this.live) {
      if (this.prober.result('livenessProbe', l.instance.id) === 'Failure') probeFailed.set(name, 'liveness');
      else if (this.prober.result('startupProbe', l.instance.id) === 'Failure') probeFailed.set(name, 'startup');
    }
    const actions = computePodActions({
      spec: this.spec,
      records: this.records,
      live: new Set(this.live.keys()),
      probeFailed,
    });
    if (actions.killPod) {
      if (actions.killPod === 'init-failed')
        this.emit('Warning', 'InitFailed', null, 'an init container failed and restartPolicy is Never: the pod fails');
      await this.killAll(this.spec.terminationGracePeriodSeconds);
      this.status.podIsTerminal = true;
      this.checkUntil();
      return;
    }
    for (const k of actions.containersToKill) {
      const c = this.container(k.name);
      const probe = resolveProbe(c[k.probe === 'liveness' ? 'livenessProbe' : 'startupProbe'] as Probe);
      await this.killLive(
        k.name,
        probe.terminationGracePeriodSeconds ?? this.spec.terminationGracePeriodSeconds,
        k.message,
      );
    }
    for (const name of [actions.initToStart, ...actions.containersToStart]) {
      if (name && !this.terminating) await this.startContainer(name);
    }
    this.prober.updatePodStatus();
  }

  /** Start a container unless it is backing off (then say so and sync again when the back-off ends). */
  private async startContainer(name: string): Promise<void> {
    const c = this.container(name);
    const r = this.record(name);
    const exitAt = this.exitSeenAt.get(name);
    if (exitAt !== undefined) {
      if (this.backoff.isInBackOffSince(name, exitAt)) {
        if ('terminated' in r.state) r.lastState = r.state;
        const delay = goDuration(this.backoff.get(name));
        r.state = {
          waiting: { reason: 'CrashLoopBackOff', message: MESSAGES.backOffWaiting(delay, name, formatPod(this.spec)) },
        };
        this.emit('Warning', 'BackOff', name, MESSAGES.backOff(name, formatPod(this.spec)));
        this.syncAt(exitAt + this.backoff.get(name));
        this.checkUntil();
        return;
      }
      this.backoff.next(name, exitAt);
      if ('terminated' in r.state) r.lastState = r.state;
      r.restartCount++;
    }
    r.state = { waiting: { reason: 'ContainerCreating' } };
    const runner = this.runtimeManager as RuntimeManager;
    let started: Awaited<ReturnType<RuntimeManager['start']>>;
    try {
      started = await runner.start(c, r.restartCount);
    } catch (err) {
      // The pod's deletion began while it was being created: it is never started.
      if (err instanceof StartCancelledError) return;
      await this.onStartFailure(name, c, err);
      return;
    }
    const { instance, hookFailed } = started;
    r.containerId = instance.id;
    const live: Live = { c, instance, stop: new AbortController() };
    this.live.set(name, live);
    this.latest.set(name, instance);
    this.watchExit(name, live).catch((err: unknown) => {
      // The engine stopped answering about this container: the pod cannot go on.
      this.fault ??= err;
      void this.delete(`container ${name} could not be watched: ${errorNotes(err)[0]?.split('\n')[0]}`);
    });
    if (hookFailed) {
      await this.killLive(name, this.spec.terminationGracePeriodSeconds, MESSAGES.postStartKill);
      return;
    }
    if (this.terminating) return;
    const info = await instance.inspect();
    if (this.live.get(name) !== live) return;
    r.state = { running: { startedAt: info.State.StartedAt } };
    // A container without a startup probe has started; its probe workers (there since
    // the pod was added) take the new instance at their next tick, readiness at once.
    if (!c.startupProbe) this.onStartupResult(name, 'Success');
    this.prober.updatePodStatus();
    this.checkUntil();
  }

  /**
   * A container that could not be started (kuberuntime_container.go startContainer):
   * its image missing is a Warning "Error: ErrImagePull" (or ImagePullBackOff,
   * ErrImageNeverPull) with the container waiting, tried again once the pull's back-off
   * has passed; a runtime that refused to start it is "Error: <the runtime's words>"
   * and a StartError termination (exit 128), restarted with back-off as any exit is.
   * Only a runtime that stopped answering ends the run.
   */
  private async onStartFailure(name: string, c: Container, err: unknown): Promise<void> {
    const r = this.record(name);
    if (err instanceof ImageError) {
      this.emit('Warning', 'Failed', name, `Error: ${err.reason}`);
      r.state = { waiting: { reason: err.reason, message: err.message } };
      for (const at of this.images.retries(c)) this.syncAt(at);
      this.checkUntil();
      return;
    }
    if (!(await this.runtime.stillAnswers())) {
      this.fault ??= err;
      void this.delete(`container ${name} could not be run: ${errorNotes(err)[0]?.split('\n')[0]}`);
      return;
    }
    const message = runtimeWords(err);
    this.emit('Warning', 'Failed', name, `Error: ${message}`);
    const now = new Date().toISOString();
    r.started = false;
    r.state = { terminated: { exitCode: 128, reason: 'StartError', message, startedAt: EPOCH, finishedAt: now } };
    this.exitSeenAt.set(name, this.timeline.now());
    this.checkUntil();
    this.requestSync();
  }

  /** Sync again at `atMs` on the timeline (a back-off's end). */
  private syncAt(atMs: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.requestSync();
      },
      Math.max(0, atMs - this.timeline.now()),
    );
    this.timers.add(timer);
  }

  private onStartupResult(name: string, result: ProbeResult): void {
    const r = this.record(name);
    if (result !== 'Success' || r.started || !this.live.has(name)) {
      if (result === 'Failure') this.requestSync();
      return;
    }
    r.started = true;
    if (this.container(name).startupProbe)
      this.emit('Normal', 'StartupSucceeded', name, 'startup probe succeeded: liveness and readiness probes start');
    this.updateReady(name);
    this.requestSync();
  }

  /** Ready: started, running, and its readiness probe (if any) at Success (see StatusManager). */
  private updateReady(name: string): void {
    const l = this.live.get(name);
    this.status.updateReady(name, !!l, l && this.prober.result('readinessProbe', l.instance.id));
  }

  /** Watch for the instance's exit (the PLEG's part): record it and sync. */
  private async watchExit(name: string, live: Live): Promise<void> {
    for (;;) {
      if (live.stop.signal.aborted) return;
      const exited = await live.instance.waitExit(3_600_000, live.stop.signal);
      if (exited) {
        await this.onExit(name, live, exited);
        return;
      }
    }
  }

  private async onExit(name: string, live: Live, exited: ExitedContainer): Promise<void> {
    if (this.handledExits.has(live.instance.id)) return;
    this.handledExits.add(live.instance.id);
    // Kept until the pod goes, as the kubelet keeps dead containers for their logs:
    // a kill or an inspect racing this exit still finds it.
    this.dead.push(live.instance);
    const r = this.record(name);
    const reason = terminatedReason(exited);
    r.state = {
      terminated: { exitCode: exited.exitCode, reason, startedAt: exited.startedAt, finishedAt: exited.finishedAt },
    };
    r.started = false;
    this.exitSeenAt.set(name, this.timeline.now());
    live.stop.abort();
    this.prober.removeContainer(live.instance.id);
    if (this.live.get(name) === live) this.live.delete(name);
    this.updateReady(name);
    this.emit(
      exited.exitCode === 0 ? 'Normal' : 'Warning',
      'Terminated',
      name,
      `container exited with code ${exited.exitCode} (${reason})`,
    );
    this.requestSync();
  }

  /** Kill a live container and record its exit. */
  private async killLive(
    name: string,
    graceSeconds: number,
    message: string,
    ordering?: TerminationOrdering,
  ): Promise<void> {
    const live = this.live.get(name);
    if (!live) return;
    const runtime = this.runtimeManager as RuntimeManager;
    const exited = await runtime
      .kill(live.c, live.instance, graceSeconds, message, ordering)
      .finally(() => ordering?.terminated(name));
    if (exited) await this.onExit(name, live, exited);
  }

  private deletionGrace(): number {
    return this.options.graceOverrideSeconds ?? this.spec.terminationGracePeriodSeconds;
  }

  /**
   * Kill every running container at once (killContainersWithSyncResult): each one's
   * Killing event and preStop hook run at once; a sidecar's stop waits for its turn
   * (TerminationOrdering: the app containers, then the sidecars last first).
   */
  private async killAll(graceSeconds: number): Promise<void> {
    const running = new Set(this.live.keys());
    const ordering = new TerminationOrdering(this.spec, running);
    await Promise.all([...running].map((n) => this.killLive(n, graceSeconds, MESSAGES.stopping(n), ordering)));
  }

  /**
   * The termination (syncTerminatingPod): every running container killed at once with
   * the deletion's grace period, sidecars stopping in their turn (see killAll).
   */
  private async terminatePod(): Promise<void> {
    await this.killAll(this.deletionGrace());
    this.status.podIsTerminal = true;
    this.checkUntil();
  }
}
