import { isSidecar, type PodSpecResolved } from './manifest.js';

/**
 * The order containers stop in when the pod is killed
 * (pkg/kubelet/kuberuntime/kuberuntime_termination_order.go): every container is killed
 * at once (its Killing event and preStop hook run then), but a sidecar's stop waits
 * for its turn: until every app container has exited and the sidecar declared after
 * it has too, or until its grace period runs out. Containers not running are done
 * from the start.
 */
export class TerminationOrdering {
  private readonly done = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private readonly prereqs = new Map<string, string[]>();

  constructor(spec: PodSpecResolved, running: ReadonlySet<string>) {
    const track = (name: string) => {
      let resolve = () => undefined as void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.done.set(name, { promise, resolve });
      if (!running.has(name)) resolve();
    };
    const apps = spec.containers.map((c) => c.name);
    for (const name of apps) track(name);
    let later: string | undefined;
    for (const c of [...spec.initContainers].reverse()) {
      track(c.name);
      if (!isSidecar(c)) continue;
      this.prereqs.set(c.name, [...apps, ...(later ? [later] : [])]);
      later = c.name;
    }
  }

  /** Wait until it is `name`'s turn to stop, at most `budgetMs` (waitForTurn); resolves with the ms waited. */
  async waitForTurn(name: string, budgetMs: number): Promise<number> {
    const t0 = performance.now();
    if (budgetMs <= 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((r) => (timer = setTimeout(r, budgetMs)));
    await Promise.race([Promise.all((this.prereqs.get(name) ?? []).map((p) => this.done.get(p)?.promise)), expired]);
    clearTimeout(timer);
    return performance.now() - t0;
  }

  /** `name` has exited (containerTerminated). */
  terminated(name: string): void {
    this.done.get(name)?.resolve();
  }
}
