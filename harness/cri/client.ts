import { join } from 'node:path';
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { projectRoot } from '../paths.js';

/**
 * A client of the Container Runtime Interface (runtime.v1) over a runtime's unix socket:
 * the calls the kubelet's kuberuntime makes to run a pod, typed with the fields the
 * harness uses (harness/cri/runtime-v1.proto, the public API's field numbers). Every
 * call has a deadline; an error keeps the runtime's gRPC status and words.
 */

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
}

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: { servers?: string[]; searches?: string[]; options?: string[] };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: { cgroupParent?: string; securityContext?: { namespaceOptions?: NamespaceOption } };
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string; userSpecifiedImage?: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: { key: string; value: string }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Relative to the sandbox's log directory. */
  logPath?: string;
  linux?: {
    resources?: { memoryLimitInBytes?: number; cpuQuota?: number; cpuPeriod?: number };
    securityContext?: {
      namespaceOptions?: NamespaceOption;
      runAsUser?: { value: number };
      runAsUsername?: string;
      noNewPrivs?: boolean;
    };
  };
}

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number } | null;
  state: ContainerState;
  /** Nanoseconds since the epoch (0: not yet). */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: { image: string } | null;
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

export interface PodSandboxStatus {
  id: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  createdAt: number;
  network: { ip: string; additionalIps: { ip: string }[] } | null;
  labels: Record<string, string>;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

/** A CRI call that failed: the gRPC status, and the runtime's words as the kubelet quotes them. */
export class CriError extends Error {
  constructor(
    readonly call: string,
    readonly code: number,
    readonly codeName: string,
    readonly details: string,
  ) {
    // As grpc-go prints a status (the kubelet's messages quote it so).
    super(`rpc error: code = ${codeName} desc = ${details}`);
    this.name = 'CriError';
  }
}

/** gRPC status codes by number (grpc-go's names). */
const CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** A call's deadline when none is given: only stops a hang (a loaded runtime answers in seconds). */
const CALL_MS = 120_000;

type Unary = (req: object, options: { deadline: Date }, done: (err: ServiceError | null, res: unknown) => void) => void;

interface Services {
  RuntimeService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
  ImageService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
}

let services: Services | undefined;

/** The service constructors, from the proto subset (read once). */
function load(): Services {
  if (services) return services;
  const definition = loadSync(join(projectRoot(), 'harness', 'cri', 'runtime-v1.proto'), {
    longs: Number,
    enums: String,
    defaults: true,
  });
  const pkg = loadPackageDefinition(definition) as unknown as { runtime: { v1: Services } };
  services = pkg.runtime.v1;
  return services;
}

export class CriClient {
  private readonly runtime: Client;
  private readonly images: Client;

  constructor(readonly socket: string) {
    const { RuntimeService, ImageService } = load();
    const address = `unix://${socket}`;
    this.runtime = new RuntimeService(address, credentials.createInsecure());
    this.images = new ImageService(address, credentials.createInsecure());
  }

  private call<T>(client: Client, method: string, request: object, timeoutMs = CALL_MS): Promise<T> {
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (!fn) throw new Error(`no CRI method ${method}`);
    return new Promise<T>((resolve, reject) => {
      fn.call(client, request, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => {
        if (err) reject(new CriError(method, err.code, CODE_NAMES[err.code] ?? String(err.code), err.details));
        else resolve(res as T);
      });
    });
  }

  version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    return this.call(this.runtime, 'Version', { version: 'v1' });
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const r = await this.call<{ podSandboxId: string }>(this.runtime, 'RunPodSandbox', { config });
    return r.podSandboxId;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', { podSandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', { podSandboxId: id });
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const r = await this.call<{ status: PodSandboxStatus }>(this.runtime, 'PodSandboxStatus', { podSandboxId: id });
    return r.status;
  }

  /** Sandboxes whose labels include `labels`. */
  async listPodSandboxes(labels: Record<string, string>): Promise<{ id: string; labels: Record<string, string> }[]> {
    const r = await this.call<{ items: { id: string; labels: Record<string, string> }[] }>(
      this.runtime,
      'ListPodSandbox',
      { filter: { labelSelector: labels } },
    );
    return r.items;
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string> {
    const r = await this.call<{ containerId: string }>(this.runtime, 'CreateContainer', {
      podSandboxId: sandboxId,
      config,
      sandboxConfig: sandbox,
    });
    return r.containerId;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(this.runtime, 'StartContainer', { containerId: id });
  }

  /** The runtime's stop: the image's stop signal, then SIGKILL after `timeoutSeconds`. */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    // The call itself may take the whole grace period, and then some on a loaded machine.
    await this.call(
      this.runtime,
      'StopContainer',
      { containerId: id, timeout: timeoutSeconds },
      CALL_MS + timeoutSeconds * 1000,
    );
  }

  async removeContainer(id: string): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', { containerId: id });
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const r = await this.call<{ status: ContainerStatus }>(this.runtime, 'ContainerStatus', { containerId: id });
    return r.status;
  }

  /** The status with the runtime's verbose info (containerd's: a JSON document with the task's `pid`). */
  async containerStatusVerbose(id: string): Promise<{ status: ContainerStatus; pid: number }> {
    const r = await this.call<{ status: ContainerStatus; info: Record<string, string> }>(
      this.runtime,
      'ContainerStatus',
      { containerId: id, verbose: true },
    );
    let pid = 0;
    try {
      pid = Number((JSON.parse(r.info.info ?? '{}') as { pid?: number }).pid ?? 0);
    } catch {
      // no verbose info: no pid
    }
    return { status: r.status, pid };
  }

  /** Containers of a sandbox (its id), or whose labels include `labels`. */
  async listContainers(of: string | Record<string, string>): Promise<{ id: string; state: ContainerState }[]> {
    const r = await this.call<{ containers: { id: string; state: ContainerState }[] }>(this.runtime, 'ListContainers', {
      filter: typeof of === 'string' ? { podSandboxId: of } : { labelSelector: of },
    });
    return r.containers;
  }

  /**
   * Run a command in a container to its end, as the kubelet's exec probes and hooks do:
   * the runtime kills it after `timeoutSeconds` (0: no limit). A command the runtime
   * cannot start is a CriError, not an exit code.
   */
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    return this.call(
      this.runtime,
      'ExecSync',
      { containerId: id, cmd, timeout: timeoutSeconds },
      CALL_MS + timeoutSeconds * 1000,
    );
  }

  /** The image as the runtime knows it, or null when it has none of that name. */
  async imageStatus(image: string): Promise<CriImage | null> {
    const r = await this.call<{ image: CriImage | null }>(this.images, 'ImageStatus', { image: { image } });
    return r.image && r.image.id ? r.image : null;
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }
}
