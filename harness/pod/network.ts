import type { ContainerRuntime, PodNetwork, PodSandbox, SandboxRequest } from '../runtime/runtime.js';
import { RunningContainer } from '../run/container.js';
import { monotonicMs } from '../observe/clock.js';
import { NetProber } from '../runtime/net-prober.js';

export type { NetAnswer } from '../runtime/net-prober.js';
export type { PodNetwork, PodSandbox } from '../runtime/runtime.js';

/**
 * The pod's sandbox on an engine without pods (Docker, Podman): the network as a node
 * sees it (the CNI's part) is an engine network created with `--internal` for this pod
 * alone (no route off the machine); the sandbox is a container on it holding the pod
 * IP (and the PID namespace with shareProcessNamespace), which every container of the
 * pod joins; a node-side helper on the same network runs httpGet, tcpSocket and gRPC
 * probes and httpGet hooks against the pod IP, as the kubelet does from the node. A
 * server bound only to 127.0.0.1 is unreachable from there, as on a cluster.
 */
class EngineSandbox implements PodSandbox {
  readonly stopsWithTimeout = false;
  readonly net: PodNetwork;

  private constructor(
    private readonly runtime: ContainerRuntime,
    private readonly network: { name: string; id: string },
    private readonly node: RunningContainer,
    private readonly sandbox: RunningContainer,
    readonly podIP: string,
    readonly latencyMs: number,
    private readonly sharePid: boolean,
  ) {
    const prober = new NetProber(node);
    this.net = { podIP, probe: (args, timeoutMs) => prober.probe(args, timeoutMs), close: () => prober.close() };
  }

  get id(): string {
    return this.sandbox.id;
  }

  get described(): string {
    return `pod sandbox ${this.sandbox.id.slice(0, 12)} holds the network${this.sharePid ? ' and PID' : ''} namespace; pod IP ${this.podIP} on internal network ${this.network.name}`;
  }

  static async create(runtime: ContainerRuntime, toolboxImage: string, req: SandboxRequest): Promise<EngineSandbox> {
    const t0 = monotonicMs();
    const name = `harness-${runtime.runId}-${req.name}-${Math.random().toString(36).slice(2, 8)}`;
    const id = await runtime.createNetwork(name, 'pod-network');
    const helper = (purpose: string, container: string) =>
      RunningContainer.start(runtime, {
        image: toolboxImage,
        purpose,
        labels: { ...req.labels, 'io.harness.container': container },
        entrypoint: ['catatonit', '-P'],
        cmd: [],
        network: name,
      });
    let node: RunningContainer | undefined;
    try {
      node = await helper('pod-node', 'node');
      const sandbox = await helper('pod-sandbox', 'sandbox');
      const latencyMs = Math.round(monotonicMs() - t0);
      const podIP = await runtime.addressOn(sandbox.id, name).catch(async (err: unknown) => {
        await sandbox.remove();
        throw err;
      });
      return new EngineSandbox(runtime, { name, id }, node, sandbox, podIP, latencyMs, req.shareProcessNamespace);
    } catch (err) {
      await node?.remove();
      await runtime.removeNetwork(id);
      throw err;
    }
  }

  join() {
    return {
      network: `container:${this.sandbox.id}`,
      pidMode: this.sharePid ? `container:${this.sandbox.id}` : undefined,
    };
  }

  async remove(): Promise<void> {
    this.net.close();
    await this.sandbox.remove();
    await this.node.remove();
    await this.runtime.removeNetwork(this.network.id);
  }
}

/** The pod's sandbox: the runtime's own (the CRI's RunPodSandbox) where it has pods, else one on the engine. */
export function runPodSandbox(
  runtime: ContainerRuntime,
  toolboxImage: string,
  req: SandboxRequest,
): Promise<PodSandbox> {
  return runtime.runPodSandbox ? runtime.runPodSandbox(req) : EngineSandbox.create(runtime, toolboxImage, req);
}
