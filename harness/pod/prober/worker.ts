import type { Container } from 'kubernetes-types/core/v1.js';
import type { RunningContainer } from '../../run/container.js';
import { MESSAGES, sleep, type Timeline } from '../events.js';
import type { ProbeKind, ResolvedProbe } from '../manifest.js';
import type { PodNetwork } from '../network.js';
import { runProbe } from './prober.js';
import type { ProbeResult, ResultsStore } from './results.js';

const PROBE_NAMES: Record<ProbeKind, 'Startup' | 'Liveness' | 'Readiness'> = {
  startupProbe: 'Startup',
  livenessProbe: 'Liveness',
  readinessProbe: 'Readiness',
};

/** The result a store holds before the first attempt (worker.go: initialValue). */
const INITIAL_RESULT: Record<ProbeKind, ProbeResult> = {
  livenessProbe: 'Success',
  readinessProbe: 'Failure',
  startupProbe: 'Unknown',
};

/** What a worker reads of the pod around it. */
export interface WorkerHost {
  emit: Timeline['emit'];
  /** Whether the container has started (its startup probe, if any, succeeded). */
  started(): boolean;
  /** Whether the pod is being deleted: liveness and startup workers then stop with Success. */
  terminating(): boolean;
  /** The container's start, wall-clock ms (initialDelaySeconds counts from it). */
  startedAtMs: number;
}

/**
 * One probe of one container instance (pkg/kubelet/prober/worker.go): a ticker at the
 * probe's period from the worker's start; each tick skips while the container has not
 * started (startup gates the others) or while whole seconds since its start are fewer
 * than initialDelaySeconds; a result is written to the store only once it has repeated
 * successThreshold / failureThreshold times; a liveness or startup failure puts the
 * worker on hold (it ends: the container is restarted as a new instance).
 */
export class ProbeWorker {
  private lastResult: ProbeResult = 'Unknown';
  private resultRun = 0;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: ResolvedProbe,
    private readonly c: Container,
    private readonly instance: RunningContainer,
    private readonly net: PodNetwork,
    private readonly store: ResultsStore,
    private readonly host: WorkerHost,
  ) {
    store.set(instance.id, INITIAL_RESULT[kind]);
  }

  async run(stop: AbortSignal): Promise<void> {
    const period = this.probe.periodSeconds * 1000;
    const t0 = Date.now();
    for (let tick = 0; ; tick++) {
      if (stop.aborted || !(await this.doProbe(stop))) return;
      // A ticker: ticks missed while an attempt ran are dropped, as Go's time.Ticker does.
      const next = Math.max(tick + 1, Math.ceil((Date.now() - t0) / period));
      tick = next - 1;
      if (!(await sleep(t0 + next * period - Date.now(), stop))) return;
    }
  }

  /** One tick; false ends the worker. */
  private async doProbe(stop: AbortSignal): Promise<boolean> {
    const { kind, host } = this;
    if (host.terminating() && kind !== 'readinessProbe') {
      this.store.set(this.instance.id, 'Success');
      return false;
    }
    if (host.started()) {
      if (kind === 'startupProbe') return false;
    } else if (kind !== 'startupProbe') return true;
    if (Math.floor((Date.now() - host.startedAtMs) / 1000) < this.probe.initialDelaySeconds) return true;
    const outcome = await runProbe(this.probe, this.c, this.instance, this.net);
    if (stop.aborted) return false;
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
    this.store.set(this.instance.id, result);
    // On hold after a liveness or startup failure: the container is about to be killed.
    if (result === 'Failure' && kind !== 'readinessProbe') return false;
    return true;
  }
}
