import type { Container } from 'kubernetes-types/core/v1.js';
import type { RunningContainer } from '../../run/container.js';
import type { Timeline } from '../events.js';
import { PROBE_KINDS, resolveProbe, type ProbeKind } from '../manifest.js';
import type { PodNetwork } from '../network.js';
import { ResultsStore, type ProbeResult } from './results.js';
import { ProbeWorker } from './worker.js';

/** What the prober manager tells the pod around it, and reads of it. */
export interface ProberHost {
  emit: Timeline['emit'];
  /** Whether the container has started (its startup probe, if any, succeeded). */
  started(name: string): boolean;
  /** Whether the pod is being deleted. */
  terminating(): boolean;
  /** A result changed (results_manager.go Updates): the pod worker syncs, the status follows readiness. */
  onResult(kind: ProbeKind, name: string, result: ProbeResult): void;
}

interface Workers {
  name: string;
  /** Ends every worker of the instance (it exited). */
  stop: AbortController;
  /** Ends its liveness and startup workers (the pod is being deleted; readiness goes on). */
  stopLiveness: AbortController;
  runs: Promise<void>[];
}

/**
 * The kubelet's prober manager (pkg/kubelet/prober/prober_manager.go): a worker per
 * probe of each container instance (worker.go), their results kept per instance in
 * one results manager per kind (results/results_manager.go), whose updates the pod
 * worker and the status manager act on.
 */
export class ProberManager {
  private readonly results: Record<ProbeKind, ResultsStore>;
  private readonly workers = new Map<string, Workers>();

  constructor(
    private readonly host: ProberHost,
    private readonly net: () => PodNetwork,
  ) {
    const store = (kind: ProbeKind) =>
      new ResultsStore((id, result) => {
        const w = this.workers.get(id);
        if (w) host.onResult(kind, w.name, result);
      });
    this.results = {
      livenessProbe: store('livenessProbe'),
      readinessProbe: store('readinessProbe'),
      startupProbe: store('startupProbe'),
    };
  }

  /** The result a worker last wrote for an instance (undefined: it has no such probe, or none yet). */
  result(kind: ProbeKind, instanceId: string): ProbeResult | undefined {
    return this.results[kind].get(instanceId);
  }

  /**
   * Start a worker for each probe of a container instance that has just started
   * (AddPod, for one container): `startedAtMs` is its start, wall clock.
   */
  addContainer(c: Container, instance: RunningContainer, startedAtMs: number): void {
    const w: Workers = { name: c.name, stop: new AbortController(), stopLiveness: new AbortController(), runs: [] };
    this.workers.set(instance.id, w);
    for (const kind of PROBE_KINDS) {
      const p = c[kind];
      if (!p) continue;
      const worker = new ProbeWorker(kind, resolveProbe(p), c, instance, this.net(), this.results[kind], {
        emit: this.host.emit,
        started: () => this.host.started(c.name),
        terminating: this.host.terminating,
        startedAtMs,
      });
      const signal =
        kind === 'readinessProbe' ? w.stop.signal : AbortSignal.any([w.stop.signal, w.stopLiveness.signal]);
      w.runs.push(worker.run(signal));
    }
  }

  /**
   * An instance exited: its workers stop and its results are forgotten (the kubelet's
   * worker exits once its container is gone). Resolves once the workers have ended.
   */
  removeContainer(instanceId: string): Promise<void> {
    const w = this.workers.get(instanceId);
    for (const store of Object.values(this.results)) store.remove(instanceId);
    if (!w) return Promise.resolve();
    w.stop.abort();
    this.workers.delete(instanceId);
    return Promise.all(w.runs).then(() => undefined);
  }

  /**
   * The pod is being deleted (StopLivenessAndStartup): liveness and startup workers
   * stop, their results set to Success so no kill follows; readiness goes on.
   */
  stopLivenessAndStartup(): void {
    for (const [id, w] of this.workers) {
      w.stopLiveness.abort();
      this.results.livenessProbe.set(id, 'Success');
      if (!this.host.started(w.name)) this.results.startupProbe.set(id, 'Success');
    }
  }

  /** Stop every worker (the pod is torn down). */
  stopAll(): void {
    for (const w of this.workers.values()) w.stop.abort();
  }
}
