import type { ContainerRuntime } from '../runtime/runtime.js';
import { RunningContainer } from '../run/container.js';
import { NetProber, type NetAnswer } from '../run/net-prober.js';

export type { NetAnswer } from '../run/net-prober.js';

/**
 * The pod's network as a node sees it (the CNI's part): an engine network created with
 * `--internal` for this pod alone (no route off the machine), the sandbox attached to
 * it with the pod IP, and a node-side helper on the same network from which httpGet,
 * tcpSocket and gRPC probes and httpGet hooks reach the pod IP, as the kubelet does
 * from the node. A server bound only to 127.0.0.1 is unreachable from there, as on a
 * cluster.
 */
export class PodNetwork {
  private readonly prober: NetProber;

  private constructor(
    private readonly runtime: ContainerRuntime,
    readonly name: string,
    readonly id: string,
    readonly node: RunningContainer,
  ) {
    this.prober = new NetProber(node);
  }

  /** The pod's IP, once its sandbox is attached ('' before). */
  podIP = '';

  static async create(
    runtime: ContainerRuntime,
    toolboxImage: string,
    podName: string,
    labels: Record<string, string>,
  ) {
    const name = `harness-${runtime.runId}-${podName}-${Math.random().toString(36).slice(2, 8)}`;
    const id = await runtime.createNetwork(name, 'pod-network');
    const node = await RunningContainer.start(runtime, {
      image: toolboxImage,
      purpose: 'pod-node',
      labels: { ...labels, 'io.harness.container': 'node' },
      entrypoint: ['catatonit', '-P'],
      cmd: [],
      network: name,
    });
    return new PodNetwork(runtime, name, id, node);
  }

  /** Read the sandbox's address on the pod network. */
  async attach(sandboxId: string): Promise<string> {
    this.podIP = await this.runtime.addressOn(sandboxId, this.name);
    return this.podIP;
  }

  /** Run one net-probe from the node (see NetProber), bounded by its timeout plus 5 s. */
  probe(args: string[], timeoutMs: number): Promise<NetAnswer> {
    return this.prober.probe(args, timeoutMs);
  }

  /** End the node prober (the helper itself is removed with the pod). */
  close(): void {
    this.prober.close();
  }
}
