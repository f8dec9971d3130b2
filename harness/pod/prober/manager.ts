import type { Container } from 'kubernetes-types/core/v1.js';
import type { Timeline } from '../events.js';
import { PROBE_KINDS, resolveProbe, type PodSpecResolved, type ProbeKind } from '../manifest.js';
import type { PodNetwork } from '../network.js';
import { ResultsStore, type ProbeResult } from './results.js';
import { ProbeWorker, type ProbedContainer } from './worker.js';

/** What the prober manager tells the pod around it, and reads of it. */
export interface ProberHost {
  emit: Timeline['emit'];
  /** A container as the pod's status shows it now (null before its first instance). */
  current(name: string): ProbedContainer | null;
  /** Whether the pod is being deleted. */
  terminating(): boolean;
  /** Whether the pod's phase is Succeeded or Failed. */
  podDone(): boolean;
  /** A result changed (results_manager.go Updates): the pod worker syncs, the status follows readiness. */
  onResult(kind: ProbeKind, name: string, result: ProbeResult): void;
}

/**
 * The kubelet's prober manager (pkg/kubelet/prober/prober_manager.go): a worker per
 * probe of each container, created when the pod is added (AddPod) and living as long
 * as the pod does, across the container's restarts (worker.go); their results kept per
 * container instance in one results manager per kind (results/results_manager.go),
 * whose updates the pod worker and the status manager act on.
 */
export class ProberManager {
  private readonly results: Record<ProbeKind, ResultsStore>;
  private readonly workers: { name: string; worker: ProbeWorker; stop: AbortController; run: Promise<void> }[] = [];
  /** Which container each instance is (an instance's results name their container). */
  private readonly instances = new Map<string, string>();

  constructor(
    private readonly host: ProberHost,
    private readonly net: () => PodNetwork,
  ) {
    const store = (kind: ProbeKind) =>
      new ResultsStore((id, result) => {
        const name = this.instances.get(id);
        if (name) host.onResult(kind, name, result);
      });
    this.results = {
      livenessProbe: store('livenessProbe'),
      readinessProbe: store('readinessProbe'),
      startupProbe: store('startupProbe'),
    };
  }

  /** The result last written for an instance (undefined: it has no such probe, or none yet). */
  result(kind: ProbeKind, instanceId: string): ProbeResult | undefined {
    return this.results[kind].get(instanceId);
  }

  /** AddPod: a worker for each probe of each container, running from now on. */
  addPod(spec: PodSpecResolved): void {
    for (const c of [...spec.initContainers, ...spec.containers]) this.addWorkers(c);
  }

  private addWorkers(c: Container): void {
    for (const kind of PROBE_KINDS) {
      const p = c[kind];
      if (!p) continue;
      const worker = new ProbeWorker(kind, resolveProbe(p), c, this.net, this.results[kind], {
        emit: this.host.emit,
        current: () => {
          const now = this.host.current(c.name);
          if (now) this.instances.set(now.instance.id, c.name);
          return now;
        },
        terminating: this.host.terminating,
        podDone: this.host.podDone,
      });
      const stop = new AbortController();
      this.workers.push({ name: c.name, worker, stop, run: worker.run(stop.signal) });
    }
  }

  /** An instance exited: its results are forgotten (the worker moves to the next instance). */
  removeContainer(instanceId: string): void {
    for (const store of Object.values(this.results)) store.remove(instanceId);
    this.instances.delete(instanceId);
  }

  /**
   * UpdatePodStatus's trigger: the readiness probe of each container that has started,
   * runs, and is not ready runs at once instead of at its next tick.
   */
  updatePodStatus(): void {
    for (const w of this.workers) {
      if (w.worker.kind !== 'readinessProbe') continue;
      const cur = this.host.current(w.name);
      if (!cur?.running || !cur.started) continue;
      if (this.results.readinessProbe.get(cur.instance.id) !== 'Success') w.worker.trigger();
    }
  }

  /**
   * The pod is being deleted (StopLivenessAndStartup): liveness and startup workers
   * stop, their results set to Success so no kill follows; readiness goes on.
   */
  stopLivenessAndStartup(): void {
    for (const w of this.workers) {
      if (w.worker.kind === 'readinessProbe') continue;
      w.stop.abort();
      const id = w.worker.instanceId;
      if (id && !(w.worker.kind === 'startupProbe' && this.host.current(w.name)?.started))
        this.results[w.worker.kind].set(id, 'Success');
    }
  }

  /** Stop every worker (the pod is torn down); resolves once they have ended. */
  async stopAll(): Promise<void> {
    for (const w of this.workers) w.stop.abort();
    await Promise.all(this.workers.map((w) => w.run));
  }
}
