import type { Container } from 'kubernetes-types/core/v1.js';
import type { RunningContainer } from '../../run/container.js';
import { MESSAGES, type Timeline } from '../events.js';
import type { ProbeKind, ResolvedProbe } from '../manifest.js';
import type { PodNetwork } from '../network.js';
import { runProbe } from './prober.js';
import type { ProbeResult, ResultsStore } from './results.js';

const PROBE_NAMES: Record<ProbeKind, 'Startup' | 'Liveness' | 'Readiness'> = {
  startupProbe: 'Startup',
  livenessProbe: 'Liveness',
  readinessProbe: 'Readiness',
};

/** The result a store holds for a new container before its first attempt (worker.go: initialValue). */
const INITIAL_RESULT: Record<ProbeKind, ProbeResult> = {
  livenessProbe: 'Success',
  readinessProbe: 'Failure',
  startupProbe: 'Unknown',
};

/** The probed container as the pod's status shows it now. */
export interface ProbedContainer {
  /** Its latest instance. */
  instance: RunningContainer;
  running: boolean;
  /** It exited and will not be started again (restartPolicy Never). */
  final: boolean;
  /** Its start, wall-clock ms (initialDelaySeconds counts from it). */
  startedAtMs: number;
  /** It has started (its startup probe, if any, succeeded). */
  started: boolean;
}

/** What a worker reads of the pod around it. */
export interface WorkerHost {
  emit: Timeline['emit'];
  /** The container now, null before it was first created. */
  current(): ProbedContainer | null;
  /** The pod is being deleted: liveness and startup workers then stop with Success. */
  terminating(): boolean;
  /** The pod's phase is Succeeded or Failed: every worker stops. */
  podDone(): boolean;
}

/**
 * One probe of one container, for the pod's whole life (pkg/kubelet/prober/worker.go):
 * created when the pod is added, before the container exists, on a ticker at the
 * probe's period; a manual trigger runs it at once (the readiness of a container that
 * has started and is not ready). Each new instance of the container gets the initial
 * result and takes the worker off hold; the last result and its run (towards
 * success/failureThreshold) carry over from one instance to the next. Ticks skip while
 * the container has not started (startup gates the others), runs no more, or is
 * younger than initialDelaySeconds in whole seconds. A liveness failure, or any
 * startup result, that reaches its threshold puts the worker on hold until the next
 * instance.
 */
export class ProbeWorker {
  private containerId: string | null = null;
  private onHold = false;
  private lastResult: ProbeResult = 'Unknown';
  private resultRun = 0;
  private wake?: () => void;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: ResolvedProbe,
    private readonly c: Container,
    private readonly net: () => PodNetwork,
    private readonly store: ResultsStore,
    private readonly host: WorkerHost,
  ) {}

  /** The instance whose results this worker writes now (null before the container's first). */
  get instanceId(): string | null {
    return this.containerId;
  }

  /** Run the probe at once instead of at the next tick (manualTriggerCh; dropped while one is under way). */
  trigger(): void {
    this.wake?.();
  }

  async run(stop: AbortSignal): Promise<void> {
    const period = this.probe.periodSeconds * 1000;
    const t0 = performance.now();
    let tick = 0;
    while (!stop.aborted && (await this.doProbe(stop))) {
      // A ticker from the worker's start (ticks missed while an attempt ran are dropped,
      // as Go's time.Ticker does), or the manual trigger, or the stop.
      tick = Math.max(tick + 1, Math.ceil((performance.now() - t0) / period));
      const woken = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(true), Math.max(0, t0 + tick * period - performance.now()));
        const onStop = () => done(false);
        const done = (ok: boolean) => {
          clearTimeout(timer);
          stop.removeEventListener('abort', onStop);
          this.wake = undefined;
          resolve(ok);
        };
        this.wake = () => done(true);
        stop.addEventListener('abort', onStop, { once: true });
      });
      if (!woken) return;
    }
  }

  /** One tick (doProbe); false ends the worker. */
  private async doProbe(stop: AbortSignal): Promise<boolean> {
    const { kind, host } = this;
    if (host.podDone()) return false;
    const cur = host.current();
    if (!cur) return true;
    const id = cur.instance.id;
    if (id !== this.containerId) {
      if (this.containerId) this.store.remove(this.containerId);
      this.containerId = id;
      this.store.set(id, INITIAL_RESULT[kind]);
      this.onHold = false;
    }
    if (this.onHold) return true;
    if (!cur.running) {
      this.store.set(id, 'Failure');
      return !cur.final;
    }
    if (host.terminating() && kind !== 'readinessProbe') {
      this.store.set(id, 'Success');
      return false;
    }
    if (Math.floor((Date.now() - cur.startedAtMs) / 1000) < this.probe.initialDelaySeconds) return true;
    if (cur.started) {
      if (kind === 'startupProbe') return true;
    } else if (kind !== 'startupProbe') return true;
    const outcome = await runProbe(this.probe, this.c, cur.instance, this.net());
    if (stop.aborted || this.containerId !== id) return !stop.aborted;
    const name = PROBE_NAMES[kind];
    if (outcome.result === 'error') {
      // worker.go: "Prober error, throw away the result."
      host.emit('Warning', 'Unhealthy', this.c.name, MESSAGES.probeErrored(name, outcome.output));
      return true;
    }
    let result: ProbeResult;
    if (outcome.result === 'failure') {
      result = 'Failure';
      host.emit('Warning', 'Unhealthy', this.c.name, MESSAGES.unhealthy(name, outcome.output));
    } else {
      result = 'Success';
      if (outcome.result === 'warning')
        host.emit('Warning', 'ProbeWarning', this.c.name, MESSAGES.probeWarning(name, outcome.output));
      host.emit(
        'Normal',
        'ProbeSucceeded',
        this.c.name,
        `${name} probe succeeded${outcome.output ? `: ${outcome.output.slice(0, 120)}` : ''}`,
      );
    }
    if (this.lastResult === result) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    if (
      (result === 'Failure' && this.resultRun < this.probe.failureThreshold) ||
      (result === 'Success' && this.resultRun < this.probe.successThreshold)
    )
      return true;
    this.store.set(id, result);
    // On hold until the next instance: a liveness failure (the container is about to be
    // killed), and a startup probe once it has a result.
    if ((kind === 'livenessProbe' && result === 'Failure') || kind === 'startupProbe') {
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }
}
