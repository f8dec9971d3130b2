/**
 * Probe results per container instance (pkg/kubelet/prober/results/results_manager.go):
 * one store each for liveness, readiness and startup. A change calls `onChange`, the
 * way the kubelet's result updates trigger a pod sync.
 */
export type ProbeResult = 'Success' | 'Failure' | 'Unknown';

export class ResultsStore {
  private readonly results = new Map<string, ProbeResult>();

  constructor(private readonly onChange: (containerId: string, result: ProbeResult) => void) {}

  get(containerId: string): ProbeResult | undefined {
    return this.results.get(containerId);
  }

  set(containerId: string, result: ProbeResult): void {
    if (this.results.get(containerId) === result) return;
    this.results.set(containerId, result);
    this.onChange(containerId, result);
  }

  remove(containerId: string): void {
    this.results.delete(containerId);
  }
}
