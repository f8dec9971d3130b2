import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { Session } from '../engine/session.js';
import { errorNotes } from '../errors.js';
import { RunningContainer, type ExitedContainer } from '../run/container.js';
import { sleep, Timeline } from './events.js';
import type { PodCondition } from './until.js';
import { runHook, runProbe } from './handlers.js';
import { PROBE_KINDS, resolveProbe, type PodSpecResolved, type ProbeKind, type ResolvedProbe } from './manifest.js';

/** What the emulator knows about one container (init or app) of the pod. */
export interface ContainerRecord {
  name: string;
  image: string;
  init: boolean;
  restartCount: number;
  started: boolean;
  ready: boolean;
  state: State;
  lastState: State | null;
  containerId: string | null;
}

export type State =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; startedAt: string; finishedAt: string; message?: string } };

export interface PodRunOptions {
  /**
   * Delete the pod (termination sequence) this many seconds after the start; with
   * `until`, at the latest this long after the start, the condition unmet (then it only
   * stops a hang).
   */
  deleteAfterSeconds: number;
  /** Delete the pod as soon as this holds (checked at every event and phase change). */
  until?: PodCondition;
  /** Overrides the pod's terminationGracePeriodSeconds for the deletion. */
  graceOverrideSeconds?: number;
  /** Multiplies every CrashLoopBackOff delay (1 = the kubelet's 10 s, 20 s, ...). */
  backoffScale: number;
}

const PROBE_NAMES: Record<ProbeKind, string> = {
  startupProbe: 'Startup',
  livenessProbe: 'Liveness',
  readinessProbe: 'Readiness',
};

/** CrashLoopBackOff: first restart at once, then 10 s, 20 s, 40 s ... capped at 300 s. */
export function backoffMs(restartCount: number, scale: number): number {
  if (restartCount <= 0) return 0;
  return Math.min(300, 10 * 2 ** (restartCount - 1)) * 1000 * scale;
}

export function terminatedReason(exited: ExitedContainer): string {
  if (exited.oomKilled) return 'OOMKilled';
  return exited.exitCode === 0 ? 'Completed' : 'Error';
}

/**
 * A pod on a plain engine with the kubelet's semantics: a sandbox holding the pod's
 * namespaces, init containers in order, app containers with postStart, probes,
 * restarts with back-off, and the termination sequence on deletion.
 */
export class PodRun {
  readonly timeline: Timeline;
  readonly records = new Map<string, ContainerRecord>();
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
  initialized = false;
  terminating = false;
  /** With `until`: whether it held before the deadline (null without one). */
  untilMet: boolean | null = null;
  /** The sandbox's start, request to running (host monotonic, ms): the engine's latency for this pod. */
  engineLatencyMs = 0;
  private deleteRequested = false;
  private sandbox?: RunningContainer;
  private readonly deletion = new AbortController();
  private readonly instances = new Map<string, RunningContainer>();

  constructor(
    private readonly session: Session,
    private readonly toolboxImage: string,
    readonly spec: PodSpecResolved,
    private readonly options: PodRunOptions,
    progress?: (line: string) => void,
  ) {
    this.timeline = new Timeline(progress, () => this.checkUntil());
    if (options.until) this.untilMet = false;
    for (const [init, list] of [
      [true, spec.initContainers],
      [false, spec.containers],
    ] as const) {
      for (const c of list) {
        this.records.set(c.name, {
          name: c.name,
          image: c.image ?? '',
          init,
          restartCount: 0,
          started: false,
          ready: false,
          state: { waiting: { reason: 'PodInitializing' } },
          lastState: null,
          containerId: null,
        });
      }
    }
  }

  private emit = (...a: Parameters<Timeline['emit']>) => this.timeline.emit(...a);

  private record(name: string): ContainerRecord {
    return this.records.get(name) as ContainerRecord;
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

  /** Run the pod until it ends by itself or is deleted, then tear it down. */
  async run(): Promise<void> {
    const sandboxStart = this.timeline.now();
    this.sandbox = await RunningContainer.start(this.session, {
      image: this.toolboxImage,
      purpose: 'pod-sandbox',
      labels: this.labels('sandbox'),
      entrypoint: ['catatonit', '-P'],
      cmd: [],
    });
    this.engineLatencyMs = Math.round(this.timeline.now() - sandboxStart);
    this.emit(
      'Normal',
      'SandboxReady',
      null,
      `pod sandbox ${this.sandbox.id.slice(0, 12)} holds the network${this.spec.shareProcessNamespace ? ' and PID' : ''} namespace`,
    );
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
    try {
      this.initialized = await this.runInitContainers();
      if (this.initialized) {
        this.emit('Normal', 'Initialized', null, 'all init containers succeeded');
        // A container that cannot be run at all (its image missing, the engine refusing)
        // deletes the pod: its siblings go through their termination, not on forever.
        const loops = await Promise.allSettled(
          this.spec.containers.map((c) =>
            this.runAppContainer(c).catch((err: unknown) => {
              void this.delete(`container ${c.name} could not be run: ${errorNotes(err)[0]?.split('\n')[0]}`);
              throw err;
            }),
          ),
        );
        const failed = loops.find((l): l is PromiseRejectedResult => l.status === 'rejected');
        if (failed) throw failed.reason;
      }
      this.updatePhase();
      // A pod that ended by itself stays until its deletion time, as the API object does.
      if (!this.deletion.signal.aborted)
        await sleep(this.options.deleteAfterSeconds * 1000 - this.timeline.now(), this.deletion.signal);
    } finally {
      clearTimeout(deleteTimer);
      this.terminating = true;
      await this.sandbox.remove();
      this.emit('Normal', 'SandboxRemoved', null, 'pod deleted');
    }
  }

  private updatePhase(): void {
    const apps = this.spec.containers.map((c) => this.record(c.name));
    const failedInit = this.spec.initContainers.some(
      (c) =>
        'terminated' in this.record(c.name).state &&
        this.spec.restartPolicy === 'Never' &&
        (this.record(c.name).state as { terminated: { exitCode: number } }).terminated.exitCode !== 0,
    );
    if (failedInit) this.phase = 'Failed';
    else if (!this.initialized) this.phase = 'Pending';
    else if (apps.every((r) => 'terminated' in r.state)) {
      const codes = apps.map((r) => (r.state as { terminated: { exitCode: number } }).terminated.exitCode);
      this.phase = codes.every((c) => c === 0) ? 'Succeeded' : 'Failed';
    } else if (apps.some((r) => 'running' in r.state || r.restartCount > 0 || 'terminated' in r.state))
      this.phase = 'Running';
    else this.phase = 'Pending';
    this.checkUntil();
  }

  /** Delete the pod: readiness goes False at once, then every container's termination. */
  async delete(why: string): Promise<void> {
    if (this.deleteRequested) return;
    this.deleteRequested = true;
    this.terminating = true;
    this.emit('Normal', 'Deleting', null, why);
    for (const r of this.records.values()) this.setReady(r, false, 'the pod is terminating');
    this.deletion.abort();
  }

  private setReady(r: ContainerRecord, ready: boolean, why: string): void {
    if (r.ready === ready) return;
    r.ready = ready;
    this.emit('Normal', ready ? 'Ready' : 'NotReady', r.name, `container ${ready ? 'is' : 'is not'} ready: ${why}`);
  }

  private async start(c: Container, r: ContainerRecord): Promise<RunningContainer> {
    const instance = await RunningContainer.start(this.session, {
      image: c.image ?? '',
      purpose: 'pod-container',
      labels: { ...this.labels(c.name), 'io.harness.restart': String(r.restartCount) },
      entrypoint: c.command,
      cmd: c.command && !c.args ? [] : c.args,
      env: Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? ''])),
      network: `container:${this.sandbox?.id}`,
      pidMode: this.spec.shareProcessNamespace ? `container:${this.sandbox?.id}` : undefined,
    });
    r.containerId = instance.id;
    this.instances.set(c.name, instance);
    this.emit('Normal', 'Created', c.name, `Created container ${c.name}`);
    this.emit('Normal', 'Started', c.name, `Started container ${c.name}`);
    return instance;
  }

  private async finished(
    c: Container,
    r: ContainerRecord,
    instance: RunningContainer,
    exited: ExitedContainer,
  ): Promise<void> {
    const reason = terminatedReason(exited);
    r.state = {
      terminated: { exitCode: exited.exitCode, reason, startedAt: exited.startedAt, finishedAt: exited.finishedAt },
    };
    r.started = false;
    this.setReady(r, false, 'the container exited');
    this.emit(
      exited.exitCode === 0 ? 'Normal' : 'Warning',
      'Terminated',
      c.name,
      `container exited with code ${exited.exitCode} (${reason})`,
    );
    this.instances.delete(c.name);
    await instance.remove();
  }

  private async waitBackoff(c: Container, r: ContainerRecord): Promise<boolean> {
    const delay = backoffMs(r.restartCount, this.options.backoffScale);
    r.lastState = r.state;
    if (delay > 0) {
      r.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${(delay / 1000).toFixed(1)}s restarting failed container=${c.name}`,
        },
      };
      this.emit(
        'Warning',
        'BackOff',
        c.name,
        `Back-off ${(delay / 1000).toFixed(1)}s restarting failed container ${c.name}`,
      );
    }
    const ran = await sleep(delay, this.deletion.signal);
    if (ran) r.restartCount++;
    return ran;
  }

  /** Init containers one at a time; false when the pod cannot initialize. */
  private async runInitContainers(): Promise<boolean> {
    for (const c of this.spec.initContainers) {
      const r = this.record(c.name);
      for (;;) {
        if (this.deletion.signal.aborted) return false;
        const instance = await this.start(c, r);
        r.state = { running: { startedAt: new Date().toISOString() } };
        const exited = await this.waitExitOrDeletion(instance);
        if (!exited) {
          await this.terminate(c, r, instance, this.deletionGrace(), `Stopping container ${c.name}`);
          return false;
        }
        await this.finished(c, r, instance, exited);
        if (exited.exitCode === 0) break;
        if (this.deletion.signal.aborted) return false;
        if (this.spec.restartPolicy === 'Never') {
          this.phase = 'Failed';
          this.checkUntil();
          this.emit(
            'Warning',
            'InitFailed',
            c.name,
            `init container ${c.name} failed and restartPolicy is Never: the pod fails`,
          );
          return false;
        }
        if (!(await this.waitBackoff(c, r))) return false;
      }
    }
    return true;
  }

  private deletionGrace(): number {
    return this.options.graceOverrideSeconds ?? this.spec.terminationGracePeriodSeconds;
  }

  /** The exited stage, or null when the pod is deleted first. */
  private async waitExitOrDeletion(instance: RunningContainer, also?: AbortSignal): Promise<ExitedContainer | null> {
    // The engine's wait, cut short by the deletion (or `also`); its deadline only
    // stops a hang and is renewed while the container runs.
    const stop = also ? AbortSignal.any([this.deletion.signal, also]) : this.deletion.signal;
    for (;;) {
      if (stop.aborted) return null;
      const exited = (await instance.waitExit(3_600_000, stop)) ?? (stop.aborted ? null : await instance.exitedYet());
      if (exited) return exited;
    }
  }

  /** One app container: instances, restarts and back-off, until the pod is deleted. */
  private async runAppContainer(c: Container): Promise<void> {
    const r = this.record(c.name);
    for (;;) {
      if (this.deletion.signal.aborted) return;
      const instance = await this.start(c, r);
      const outcome = await this.runInstance(c, r, instance);
      if (outcome.kind === 'deleted') {
        await this.terminate(c, r, instance, this.deletionGrace(), `Stopping container ${c.name}`);
        this.updatePhase();
        return;
      }
      let exited = outcome.exited;
      if (outcome.kind === 'kill') {
        exited = await this.terminate(c, r, instance, outcome.grace, outcome.message);
      } else if (exited) {
        await this.finished(c, r, instance, exited);
      }
      const code = exited?.exitCode ?? 137;
      const restart =
        this.spec.restartPolicy === 'Always' ||
        (this.spec.restartPolicy === 'OnFailure' && (code !== 0 || outcome.kind === 'kill'));
      this.updatePhase();
      if (!restart || this.deletion.signal.aborted) return;
      if (!(await this.waitBackoff(c, r))) return;
    }
  }

  /**
   * A running instance: postStart (blocking Running), then the probes, until it exits,
   * a liveness/startup probe fails, or the pod is deleted.
   */
  private async runInstance(
    c: Container,
    r: ContainerRecord,
    instance: RunningContainer,
  ): Promise<
    | { kind: 'exited'; exited: ExitedContainer | null }
    | { kind: 'kill'; grace: number; message: string; exited?: undefined }
    | { kind: 'deleted'; exited?: undefined }
  > {
    const sandbox = this.sandbox as RunningContainer;
    r.state = { waiting: { reason: 'ContainerCreating' } };
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      this.emit(
        'Normal',
        'PostStartHookStarted',
        c.name,
        'running the postStart hook; the container is not Running until it returns',
      );
      const h = await runHook(
        postStart,
        c,
        instance,
        sandbox,
        this.options.deleteAfterSeconds * 1000,
        this.deletion.signal,
      );
      this.emit(
        h.ok ? 'Normal' : 'Warning',
        h.ok ? 'PostStartHookSucceeded' : 'FailedPostStartHook',
        c.name,
        h.ok ? `postStart hook finished: ${h.detail}` : `PostStartHook failed: ${h.detail}`,
      );
      if (!h.ok) {
        r.state = { waiting: { reason: 'PostStartHookError', message: h.detail } };
        return {
          kind: 'kill',
          grace: this.spec.terminationGracePeriodSeconds,
          message: `FailedPostStartHook: killing container ${c.name}`,
        };
      }
    }
    const info = await instance.inspect();
    r.state = { running: { startedAt: info.State.StartedAt } };
    this.updatePhase();
    const startedAtMs = Date.parse(info.State.StartedAt);
    const probes = Object.fromEntries(
      PROBE_KINDS.filter((k) => c[k]).map((k) => [k, resolveProbe(c[k] as Probe)]),
    ) as Partial<Record<ProbeKind, ResolvedProbe>>;
    r.started = !probes.startupProbe;
    // Without a readiness probe a container is Ready once it has started (after its
    // startup probe, if any).
    const readyWithoutProbe = () => {
      if (!probes.readinessProbe && !this.terminating) this.setReady(r, true, 'started, and no readiness probe');
    };
    if (r.started) readyWithoutProbe();
    const stop = new AbortController();
    let kill: { grace: number; message: string } | undefined;
    const onFailure = (kind: ProbeKind, p: ResolvedProbe) => {
      if (kill) return;
      const what = kind === 'livenessProbe' ? 'liveness' : 'startup';
      kill = {
        grace: p.terminationGracePeriodSeconds ?? this.spec.terminationGracePeriodSeconds,
        message: `Container ${c.name} failed ${what} probe, will be restarted`,
      };
      stop.abort();
    };
    const loops: Promise<void>[] = [];
    const startLoop = (kind: ProbeKind) => {
      const p = probes[kind];
      if (p) loops.push(this.probeLoop(kind, p, c, r, instance, startedAtMs, stop.signal, onFailure));
    };
    if (probes.startupProbe) {
      loops.push(
        this.probeLoop('startupProbe', probes.startupProbe, c, r, instance, startedAtMs, stop.signal, onFailure, () => {
          r.started = true;
          this.emit(
            'Normal',
            'StartupSucceeded',
            c.name,
            'startup probe succeeded: liveness and readiness probes start',
          );
          startLoop('livenessProbe');
          startLoop('readinessProbe');
        }),
      );
    } else {
      startLoop('livenessProbe');
      startLoop('readinessProbe');
    }
    const exited = await this.waitExitOrDeletion(instance, stop.signal);
    stop.abort();
    // Readiness keeps running while the pod terminates; liveness and startup stop.
    await Promise.all(loops);
    if (kill) return { kind: 'kill', ...kill };
    if (!exited) return { kind: 'deleted' };
    return { kind: 'exited', exited };
  }

  private async probeLoop(
    kind: ProbeKind,
    p: ResolvedProbe,
    c: Container,
    r: ContainerRecord,
    instance: RunningContainer,
    startedAtMs: number,
    stop: AbortSignal,
    onFailure: (kind: ProbeKind, p: ResolvedProbe) => void,
    onStarted?: () => void,
  ): Promise<void> {
    const name = PROBE_NAMES[kind];
    // Skipped while whole seconds since the container's start < initialDelaySeconds.
    const delay = p.initialDelaySeconds * 1000 - (Date.now() - startedAtMs);
    if (!(await sleep(delay, stop))) return;
    let successes = 0;
    let failures = 0;
    for (;;) {
      if (stop.aborted) return;
      // A ticker, as the kubelet's: the period counts from one attempt's start to the next.
      const attemptStart = Date.now();
      const result = await runProbe(p, c, instance, this.sandbox as RunningContainer);
      if (stop.aborted) return;
      if (result.ok) {
        successes++;
        failures = 0;
        this.emit('Normal', 'ProbeSucceeded', c.name, `${name} probe succeeded: ${result.detail}`);
        if (kind === 'readinessProbe' && successes >= p.successThreshold && !this.terminating)
          this.setReady(r, true, 'readiness probe succeeded');
        if (kind === 'startupProbe') {
          onStarted?.();
          return;
        }
      } else {
        failures++;
        successes = 0;
        this.emit('Warning', 'Unhealthy', c.name, `${name} probe failed: ${result.detail}`);
        if (failures >= p.failureThreshold) {
          if (kind === 'readinessProbe') this.setReady(r, false, `readiness probe failed ${failures} time(s)`);
          else {
            onFailure(kind, p);
            return;
          }
        }
      }
      if (!(await sleep(p.periodSeconds * 1000 - (Date.now() - attemptStart), stop))) return;
    }
  }

  /**
   * The termination sequence: preStop (only with grace > 0, counted inside the grace
   * period), the stop signal, the rest of the grace period (at least 2 s), SIGKILL.
   */
  private async terminate(
    c: Container,
    r: ContainerRecord,
    instance: RunningContainer,
    graceSeconds: number,
    message: string,
  ): Promise<ExitedContainer | null> {
    this.emit('Normal', 'Killing', c.name, message);
    const t0 = this.timeline.now();
    const preStop = c.lifecycle?.preStop;
    if (preStop && graceSeconds > 0 && !(await instance.exitedYet())) {
      this.emit('Normal', 'PreStopHookStarted', c.name, `running the preStop hook (grace ${graceSeconds} s)`);
      const h = await runHook(preStop, c, instance, this.sandbox as RunningContainer, graceSeconds * 1000);
      if (h.ok) this.emit('Normal', 'PreStopHookSucceeded', c.name, `preStop hook finished: ${h.detail}`);
      else this.emit('Warning', 'FailedPreStopHook', c.name, `PreStopHook failed: ${h.detail}`);
    }
    const spent = (this.timeline.now() - t0) / 1000;
    const remaining = Math.max(graceSeconds - spent, 2);
    const info = await instance.inspect();
    const stopSignal = (info.Config as { StopSignal?: string }).StopSignal || 'SIGTERM';
    let exited = await instance.exitedYet();
    if (!exited) {
      this.emit(
        'Normal',
        'StopSignal',
        c.name,
        `sending ${stopSignal}; ${remaining.toFixed(1)} s left of the grace period`,
      );
      await instance.signal(stopSignal);
      exited = await instance.waitExit(remaining * 1000);
      if (!exited) {
        this.emit('Warning', 'SIGKILL', c.name, `still running when the grace period ran out: sending SIGKILL`);
        await instance.signal('SIGKILL');
        exited = await instance.waitExit(10_000);
      }
    }
    if (exited) await this.finished(c, r, instance, exited);
    return exited;
  }
}
