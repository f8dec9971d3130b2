import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  CriClient,
  CriError,
  type ContainerConfig as CriContainerConfig,
  type ContainerStatus,
  type PodSandboxConfig,
} from '../cri/client.js';
import { criPaths, type CriPaths } from '../cri/containerd.js';
import { ensureCriImage, criImageName } from '../cri/images.js';
import { imageRunConfig, saveImage, type ImageRunConfig } from '../engine/images.js';
import { LABEL, processAlive } from '../engine/labels.js';
import { LOG_TAIL_LINES } from '../engine/containers.js';
import { ScenarioError, StartCancelledError } from '../errors.js';
import { signalOfExitCode } from '../signals.js';
import type { ImageSpec } from '../images/build.js';
import { silentLogger, type Logger } from '../log.js';
import { NodeObserver } from '../observe/ps.js';
import { grpcHealthProbe } from '../cri/grpc-health.js';
import { copyIntoRoot } from '../cri/root-copy.js';
import { HostProbes, streamOf } from '../cri/host-probes.js';
import { NetProber } from './net-prober.js';
import type { DockerRuntime } from './docker.js';
import type {
  ContainerDetails,
  ContainerObserver,
  ContainerRuntime,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  ExecStream,
  LogLine,
  PodSandbox,
  RuntimeEvent,
  SandboxRequest,
} from './runtime.js';

/** The label naming the client (one process's CriRuntime) that created a sandbox or container. */
const CLIENT_LABEL = 'io.harness.cri-client';
/** How often the runtime's container list is read for exits (the kubelet's PLEG relists every second). */
const RELIST_MS = 100;
/** A container's default limits, as the engine's (DEFAULT_LIMITS): 512 MiB, one CPU. */
const MEMORY_BYTES = 512 * 1024 * 1024;
const CPU_PERIOD = 100_000;
/** Deadline for a ready line when the spec gives none: only stops a hang. */
const READY_MS = 60_000;
/** The zero time, as the engine reports a time that has not happened. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** RFC 3339 with nanoseconds, from the CRI's nanoseconds since the epoch (0: not yet). */
export function criTime(ns: number): string {
  if (!ns) return ZERO_TIME;
  const whole = new Date(Math.floor(ns / 1e6)).toISOString().slice(0, 19);
  return `${whole}.${String(Math.round(ns % 1e9) % 1e9).padStart(9, '0')}Z`;
}

/**
 * The CRI's container log (the kubelet's format: `<RFC 3339 time> <stream> <P|F> <text>`
 * per line; P marks a line the runtime split, continued by the next).
 */
export function parseCriLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  let partial = '';
  for (const raw of text.split('\n')) {
    const m = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/.exec(raw);
    if (!m) continue;
    const [, time, stream, tag, body] = m as unknown as [string, string, 'stdout' | 'stderr', string, string];
    if (tag === 'P') {
      partial += body;
      continue;
    }
    out.push({ stream, time, text: partial + body });
    partial = '';
  }
  return out;
}

interface Created {
  spec: ContainerSpec;
  sandboxId: string;
  /** A sandbox made for this container alone (removed with it). */
  ownSandbox: boolean;
  logFile: string;
  image: ImageRunConfig;
  /** Signals the harness sent it itself (\`signal\`): kill events, as Docker records them. */
  kills: RuntimeEvent[];
}

interface Sandbox {
  config: PodSandboxConfig;
  podIP: string;
}

/**
 * containerd through its CRI, as a kubelet drives it, as a ContainerRuntime: pods get
 * the runtime's own sandbox (RunPodSandbox: a pause container holding the namespaces,
 * a pod IP on the harness's CNI bridge); a container outside a pod gets a sandbox of
 * its own. Images are built by the engine (`engine`) and moved into containerd when it
 * lacks them. What the CRI has no call for is done as a node agent does it: a signal
 * through containerd's task API (`ctr task kill`), processes and observation from the
 * host's /proc (the engine's node observer), probes from the host to the pod IP. Every
 * sandbox carries the run's labels; `teardown()` removes them all.
 */
export class CriRuntime implements ContainerRuntime {
  readonly kind = 'cri';
  private readonly created = new Map<string, Created>();
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly images = new Map<string, Promise<string>>();
  private readonly imageConfigs = new Map<string, Promise<ImageRunConfig>>();
  private criLost?: string;
  /** Exit waiters, served by one relist of the run's containers (the PLEG's part). */
  private readonly waiters = new Map<string, Set<() => void>>();
  private relisting?: ReturnType<typeof setInterval>;
  private readonly hostProber = new NetProber(new HostProbes());
  /** This client's label on what it creates (several processes of one run each remove their own). */
  private readonly client_ = randomBytes(4).toString('hex');
  private closed = false;

  private constructor(
    readonly engine: DockerRuntime,
    readonly client: CriClient,
    readonly paths: CriPaths,
    private readonly log: Logger,
    /** containerd's version, as it answered. */
    readonly version: string,
  ) {}

  get described(): string {
    return `containerd ${this.version} (CRI) at ${this.paths.socket}`;
  }

  /** The harness's containerd (see ensureCri), driven for the engine session's run. */
  static async open(engine: DockerRuntime, log: Logger = silentLogger, paths = criPaths()): Promise<CriRuntime> {
    const client = new CriClient(paths.socket);
    let version = '';
    try {
      version = (await client.version()).runtimeVersion;
    } catch (err) {
      client.close();
      throw new ScenarioError(
        `the harness's containerd does not answer on ${paths.socket}: run \`harness setup --runtime cri\` first`,
        { cause: err },
      );
    }
    // What runs that are gone left behind (an interrupted run's sandboxes).
    const swept = await sweepCri(paths);
    if (swept) log(`removed ${swept} pod sandbox(es) of runs that are gone from the harness's containerd`);
    return new CriRuntime(engine, client, paths, log, version);
  }

  get runId(): string {
    return this.engine.runId;
  }

  get lost(): string | undefined {
    return this.criLost ?? this.engine.lost;
  }

  async stillAnswers(): Promise<boolean> {
    if (this.criLost) return false;
    try {
      await this.client.version();
      return true;
    } catch {
      this.criLost = `the harness's containerd at ${this.paths.socket} stopped answering during the run`;
      return false;
    }
  }

  prepare(toolboxImage: string): void {
    this.engine.prepare(toolboxImage);
  }

  private labels(purpose: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.engine.session.labels(purpose, extra), [CLIENT_LABEL]: this.client_ };
  }

  /** A sandbox: the pod's metadata, hostname, log folder, DNS, namespaces and the run's labels. */
  private async sandbox(req: SandboxRequest, purpose: string): Promise<{ id: string; podIP: string; ms: number }> {
    const t0 = performance.now();
    const config: PodSandboxConfig = {
      metadata: { name: req.name, uid: req.uid, namespace: req.namespace, attempt: 0 },
      hostname: req.name,
      // The kubelet's layout (/var/log/pods/<namespace>_<pod>_<uid>), under the harness's own folder.
      logDirectory: join(this.paths.dir, 'pods', `${req.namespace}_${req.name}_${req.uid}`),
      // The cluster's search path, and no name server: nothing a pod resolves leaves the machine.
      dnsConfig: {
        servers: [],
        searches: [`${req.namespace}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'],
        options: ['ndots:5'],
      },
      labels: {
        ...this.labels(purpose, req.labels),
        'io.kubernetes.pod.name': req.name,
        'io.kubernetes.pod.namespace': req.namespace,
        'io.kubernetes.pod.uid': req.uid,
      },
      annotations: { 'kubernetes.io/config.source': 'file' },
      linux: {
        securityContext: {
          namespaceOptions: { network: 'POD', pid: req.shareProcessNamespace ? 'POD' : 'CONTAINER', ipc: 'POD' },
        },
      },
    };
    const id = await this.client.runPodSandbox(config);
    const podIP = (await this.client.podSandboxStatus(id)).network?.ip ?? '';
    this.sandboxes.set(id, { config, podIP });
    return { id, podIP, ms: Math.round(performance.now() - t0) };
  }

  async runPodSandbox(req: SandboxRequest): Promise<PodSandbox> {
    const { id, podIP, ms } = await this.sandbox(req, 'pod-sandbox');
    const prober = this.hostProber;
    return {
      id,
      podIP,
      latencyMs: ms,
      stopsWithTimeout: true,
      described: `pod sandbox ${id.slice(0, 12)} (RunPodSandbox) holds the network${req.shareProcessNamespace ? ' and PID' : ''} namespace; pod IP ${podIP} on the CNI bridge`,
      net: {
        podIP,
        // gRPC from here (the host's python has no gRPC client); http and tcp through net-probe.
        probe: (args, timeoutMs) =>
          args[0] === 'grpc'
            ? grpcHealthProbe(args[1] ?? '', args[2] ?? '', args[3] ?? '', Number(args[4]), args[5] ?? '')
            : prober.probe(args, timeoutMs),
        close: () => undefined,
      },
      join: (container, attempt) => ({
        sandbox: { id, container, attempt, sharePid: req.shareProcessNamespace },
      }),
      remove: () => this.removeSandbox(id),
    };
  }

  /** Stop and remove a sandbox (its containers with it), and the log folder made for it. */
  private async removeSandbox(id: string): Promise<void> {
    const logs = this.sandboxes.get(id)?.config.logDirectory;
    this.sandboxes.delete(id);
    await this.client.stopPodSandbox(id).catch(notFoundOk);
    await this.client.removePodSandbox(id).catch(notFoundOk);
    if (logs) rmSync(logs, { recursive: true, force: true });
  }

  /** The image as containerd names it, moved there from the engine when containerd lacks it (or another image has its name). */
  private present(ref: string): Promise<string> {
    let p = this.images.get(ref);
    if (!p) {
      p = (async () => {
        const id = await this.engine.imageId(ref);
        if (!id) {
          const name = criImageName(ref);
          if (await this.client.imageStatus(name)) return name;
          throw new ScenarioError(`no image ${ref} on the engine or in the harness's containerd`);
        }
        const session = this.engine.session;
        return ensureCriImage(this.client, this.paths, { ref, id, save: () => saveImage(session, ref) }, this.log);
      })();
      this.images.set(ref, p);
      p.catch(() => this.images.delete(ref));
    }
    return p;
  }

  /** Entrypoint, command, user and stop signal the image declares (read from the engine that built it). */
  private imageConfig(ref: string): Promise<ImageRunConfig> {
    let p = this.imageConfigs.get(ref);
    if (!p) {
      const read = imageRunConfig(this.engine.session, ref);
      this.imageConfigs.set(ref, read);
      read.catch(() => this.imageConfigs.delete(ref));
      p = read;
    }
    return p;
  }

  /**
   * CreateContainer and StartContainer, in the spec's sandbox or a new one of its own; with
   * a ready line, resolves once its log shows it. A start that fails leaves nothing behind.
   */
  async start(spec: ContainerSpec): Promise<string> {
    const image = await this.present(spec.image);
    const imageConfig = await this.imageConfig(spec.image);
    // A helper that joins another container's network (`container:<id>`) goes into its
    // pod sandbox, whose network namespace every container there shares.
    const joined = spec.network?.startsWith('container:')
      ? this.created.get(spec.network.slice('container:'.length))?.sandboxId
      : undefined;
    if (spec.network?.startsWith('container:') && !joined)
      throw new ScenarioError(`${spec.purpose}: no container ${spec.network.slice(10, 22)} of this run to join`);
    const name =
      spec.sandbox?.container ?? (joined ? `${spec.purpose}-${randomBytes(3).toString('hex')}` : spec.purpose);
    const attempt = spec.sandbox?.attempt ?? 0;
    const own = !spec.sandbox && !joined;
    const sandboxId =
      spec.sandbox?.id ??
      joined ??
      (
        await this.sandbox(
          {
            name: `${spec.purpose}-${randomBytes(4).toString('hex')}`,
            namespace: 'harness',
            uid: randomBytes(16).toString('hex'),
            shareProcessNamespace: false,
            labels: spec.labels ?? {},
          },
          spec.purpose,
        )
      ).id;
    const sandbox = this.sandboxes.get(sandboxId);
    if (!sandbox) throw new ScenarioError(`no pod sandbox ${sandboxId.slice(0, 12)} in this run`);
    const user = spec.user ?? '';
    const config: CriContainerConfig = {
      metadata: { name, attempt },
      image: { image, userSpecifiedImage: spec.image },
      ...(spec.entrypoint !== undefined ? { command: spec.entrypoint } : {}),
      ...(spec.cmd !== undefined ? { args: spec.cmd } : {}),
      ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
      envs: Object.entries(spec.env ?? {}).map(([key, value]) => ({ key, value })),
      labels: {
        ...this.labels(spec.purpose, spec.labels),
        'io.kubernetes.container.name': name,
        'io.kubernetes.pod.name': sandbox.config.metadata.name,
        'io.kubernetes.pod.namespace': sandbox.config.metadata.namespace,
        'io.kubernetes.pod.uid': sandbox.config.metadata.uid,
      },
      annotations: {
        'io.kubernetes.container.restartCount': String(attempt),
        'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
        'io.kubernetes.container.terminationMessagePolicy': 'File',
      },
      logPath: `${name}/${attempt}.log`,
      linux: {
        resources: {
          memoryLimitInBytes: spec.memoryBytes ?? MEMORY_BYTES,
          cpuPeriod: CPU_PERIOD,
          cpuQuota: CPU_PERIOD,
        },
        securityContext: {
          namespaceOptions: { network: 'POD', pid: spec.sandbox?.sharePid ? 'POD' : 'CONTAINER', ipc: 'POD' },
          ...(/^\d+$/.test(user) ? { runAsUser: { value: Number(user) } } : user ? { runAsUsername: user } : {}),
          noNewPrivs: true,
        },
      },
    };
    let id = '';
    try {
      id = await this.client.createContainer(sandboxId, config, sandbox.config);
      this.created.set(id, {
        spec,
        sandboxId,
        ownSandbox: own,
        logFile: join(sandbox.config.logDirectory ?? '', config.logPath ?? ''),
        image: imageConfig,
        kills: [],
      });
      if (spec.startUnless?.aborted) throw new StartCancelledError(`${spec.purpose} of ${spec.image}`);
      await this.client.startContainer(id);
      if (spec.readyLog) await this.readyLine(id, spec.readyLog, spec.startupTimeoutMs ?? READY_MS);
    } catch (err) {
      if (id) await this.remove(id);
      else if (own) await this.removeSandbox(sandboxId);
      if (err instanceof StartCancelledError) throw err;
      const words = err instanceof CriError ? err.details : err instanceof Error ? err.message : String(err);
      throw new ScenarioError(`${spec.purpose}: container of ${spec.image} did not start: ${words.split('\n')[0]}`, {
        cause: err,
      });
    }
    return id;
  }

  /** Wait for a log line matching `ready`, until it exits or `timeoutMs` passes. */
  private async readyLine(id: string, ready: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.logs(id)).some((l) => ready.test(l.text))) return;
      const status = await this.client.containerStatus(id);
      if (status.state === 'CONTAINER_EXITED')
        throw new Error(`it exited (code ${status.exitCode}) before printing ${String(ready)}`);
      if (Date.now() > deadline) throw new Error(`no log line matching ${String(ready)} within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, RELIST_MS));
    }
  }

  starting<T>(start: () => Promise<T>): Promise<T> {
    return this.engine.starting(start);
  }

  /** A signal to its PID 1, through containerd's task API (the CRI has no call for it). */
  async signal(id: string, signal: string): Promise<boolean> {
    const at = Date.now();
    const r = await execa(
      'ctr',
      ['--address', this.paths.socket, '-n', 'k8s.io', 'tasks', 'kill', '--signal', signal, id],
      { reject: false, timeout: 60_000 },
    );
    if (r.exitCode !== 0) {
      if (/not found|process already finished|not running/i.test(r.stderr)) return false;
      throw new ScenarioError(`could not send ${signal} to container ${id.slice(0, 12)}: ${r.stderr.trim()}`);
    }
    this.created.get(id)?.kills.push({ action: 'kill', timeNano: at * 1e6, attributes: { signal } });
    return true;
  }

  /**
   * StopContainer with `graceSeconds` as its timeout: containerd sends the image's stop
   * signal and SIGKILL once the timeout passes. A stop signal the spec overrides (which
   * the CRI cannot take) is sent here, then SIGKILL after the grace period.
   */
  async stop(id: string, graceSeconds: number): Promise<void> {
    const c = this.created.get(id);
    if (c?.spec.stopSignal) {
      if (await this.signal(id, c.spec.stopSignal))
        if ((await this.wait(id, graceSeconds * 1000)) === null) await this.signal(id, 'SIGKILL');
      return;
    }
    // No kill event is recorded: which signals containerd sent, it does not say (a 137
    // after the whole timeout is its SIGKILL).
    await this.client.stopContainer(id, graceSeconds).catch(notFoundOk);
  }

  async remove(id: string): Promise<void> {
    const c = this.created.get(id);
    this.created.delete(id);
    await this.client.removeContainer(id).catch(notFoundOk);
    if (c?.ownSandbox) await this.removeSandbox(c.sandboxId);
  }

  private async status(id: string): Promise<{ status: ContainerStatus; pid: number }> {
    try {
      return await this.client.containerStatusVerbose(id);
    } catch (err) {
      if (err instanceof CriError && err.codeName === 'NotFound')
        throw new ScenarioError(`no container ${id.slice(0, 12)} in the harness's containerd`, { cause: err });
      throw err;
    }
  }

  /** ContainerStatus in the engine's inspect shape (its config from the spec and the image). */
  async inspect(id: string): Promise<ContainerDetails> {
    const { status, pid } = await this.status(id);
    const c = this.created.get(id);
    const image = c?.image ?? { entrypoint: [], cmd: [], user: '', stopSignal: '' };
    const spec = c?.spec;
    const entrypoint = spec?.entrypoint ?? image.entrypoint;
    const cmd = spec?.cmd?.length ? spec.cmd : spec?.entrypoint !== undefined ? [] : image.cmd;
    const running = status.state === 'CONTAINER_RUNNING';
    return {
      Id: id,
      State: {
        Status: running ? 'running' : status.state === 'CONTAINER_EXITED' ? 'exited' : 'created',
        Running: running,
        Pid: running ? pid : 0,
        ExitCode: status.exitCode,
        OOMKilled: status.reason === 'OOMKilled',
        StartedAt: criTime(status.startedAt),
        FinishedAt: criTime(status.finishedAt),
      },
      Config: {
        Image: spec?.image ?? status.image?.image,
        Entrypoint: entrypoint,
        Cmd: cmd,
        User: spec?.user ?? image.user,
        StopSignal: spec?.stopSignal ?? image.stopSignal,
      },
      HostConfig: {
        Memory: spec?.memoryBytes ?? MEMORY_BYTES,
        PidsLimit: null,
        SecurityOpt: ['no-new-privileges'],
        Privileged: false,
        NetworkMode: 'pod',
        Binds: [],
      },
      Mounts: [],
    };
  }

  /** The run's containers' states, read once per tick for every waiter (the PLEG's relist). */
  private relist(): void {
    this.relisting ??= setInterval(() => {
      const ids = [...this.waiters.keys()];
      if (!ids.length) {
        clearInterval(this.relisting);
        this.relisting = undefined;
        return;
      }
      void this.client
        .listContainers({ [LABEL.run]: this.runId })
        .then((list) => {
          const exited = new Set(list.filter((c) => c.state === 'CONTAINER_EXITED').map((c) => c.id));
          const present = new Set(list.map((c) => c.id));
          for (const id of ids)
            if (exited.has(id) || !present.has(id)) for (const done of this.waiters.get(id) ?? []) done();
        })
        .catch(() => undefined);
    }, RELIST_MS);
  }

  async wait(id: string, timeoutMs: number, abort?: AbortSignal): Promise<number | null> {
    const exitCode = async () => {
      const { status } = await this.status(id);
      return status.state === 'CONTAINER_EXITED' ? status.exitCode : null;
    };
    const now = await exitCode();
    if (now !== null || abort?.aborted) return now;
    const seen = await new Promise<boolean>((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const finish = (exited: boolean) => {
        clearTimeout(timer);
        abort?.removeEventListener('abort', onAbort);
        set.delete(done);
        if (!set.size) this.waiters.delete(id);
        resolve(exited);
      };
      const done = () => finish(true);
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      abort?.addEventListener('abort', onAbort);
      set.add(done);
      this.relist();
    });
    return seen ? exitCode() : null;
  }

  /** Its processes ("PID CMD", host pids), from containerd's task and the host's /proc; null once not running. */
  async top(id: string): Promise<string[] | null> {
    const r = await execa('ctr', ['--address', this.paths.socket, '-n', 'k8s.io', 'tasks', 'ps', id], {
      reject: false,
      timeout: 60_000,
    });
    if (r.exitCode !== 0) return null;
    const pids = r.stdout
      .split('\n')
      .slice(1)
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((p) => p > 0);
    if (!pids.length) return null;
    return pids.slice(0, 8).map((pid) => {
      let args = '';
      try {
        args = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
      } catch {
        // gone meanwhile
      }
      const row = `${pid} ${args}`;
      return row.length > 200 ? `${row.slice(0, 200)}...` : row;
    });
  }

  /**
   * ExecSync, as the kubelet's exec probes and hooks run: the runtime ends the command
   * after the timeout (whole seconds); a command it cannot start is an error, not an exit.
   */
  async exec(id: string, cmd: string[], timeoutMs: number, options: ExecOptions = {}): Promise<ExecResult> {
    if (options.user) throw new ScenarioError('the CRI runs a command as the container runs, not as another user');
    const t0 = performance.now();
    const base = { command: cmd.join(' '), durationMs: 0, stdout: '', stderr: '' };
    // detach: no output kept (the call still waits for the command's end, as the engine's does).
    const max = options.detach ? 0 : (options.maxOutputBytes ?? 1024 * 1024);
    try {
      const r = await this.client.execSync(id, cmd, Math.max(1, Math.ceil(timeoutMs / 1000)));
      return {
        ...base,
        exitCode: r.exitCode,
        signal: signalOfExitCode(r.exitCode),
        timedOut: false,
        failed: r.exitCode !== 0,
        durationMs: Math.round(performance.now() - t0),
        stdout: Buffer.from(r.stdout).subarray(0, max).toString('utf8'),
        stderr: Buffer.from(r.stderr).subarray(0, max).toString('utf8'),
      };
    } catch (err) {
      if (err instanceof CriError && (err.codeName === 'DeadlineExceeded' || /timeout .* exceeded/.test(err.details)))
        return { ...base, timedOut: true, failed: true, durationMs: Math.round(performance.now() - t0) };
      throw err instanceof CriError ? new ScenarioError(err.message, { cause: err }) : err;
    }
  }

  /** A long-lived command with its stdin open, through containerd's task API (`ctr task exec`). */
  execStream(id: string, cmd: string[], onLine: (line: string) => void): Promise<ExecStream> {
    const execId = `harness-${randomBytes(4).toString('hex')}`;
    return Promise.resolve(
      streamOf(
        'ctr',
        ['--address', this.paths.socket, '-n', 'k8s.io', 'tasks', 'exec', '--exec-id', execId, id, ...cmd],
        onLine,
      ),
    );
  }

  /** Its log's last lines, from the file the runtime writes (the kubelet's `kubectl logs`). */
  async logs(id: string): Promise<LogLine[]> {
    const c = this.created.get(id);
    const file = c?.logFile ?? (await this.client.containerStatus(id)).logPath;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    return parseCriLog(text).slice(-LOG_TAIL_LINES);
  }

  /**
   * Its events, from the runtime's record of it (created, started, finished with its exit
   * code) and the signals the harness sent, read until `until` holds.
   */
  async events(
    id: string,
    sinceWallMs: number,
    until: (events: RuntimeEvent[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<RuntimeEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status } = await this.status(id);
      const events: RuntimeEvent[] = [
        { action: 'create', timeNano: status.createdAt, attributes: {} },
        ...(status.startedAt ? [{ action: 'start', timeNano: status.startedAt, attributes: {} }] : []),
        ...(this.created.get(id)?.kills ?? []),
        ...(status.state === 'CONTAINER_EXITED'
          ? [{ action: 'die', timeNano: status.finishedAt, attributes: { exitCode: String(status.exitCode) } }]
          : []),
      ]
        .filter((e) => e.timeNano >= sinceWallMs * 1e6)
        .sort((a, b) => a.timeNano - b.timeNano);
      if (until(events)) return events;
      if (Date.now() > deadline)
        throw new ScenarioError(
          `container ${id.slice(0, 12)}: ${what} not seen within ${Math.round(timeoutMs / 1000)} s`,
        );
      await new Promise((r) => setTimeout(r, RELIST_MS));
    }
  }

  /**
   * Unpack a tar into a running container's root, from the host (/proc/<pid>/root), no
   * symlink of the image followed (see copyIntoRoot). Only at `/`, and only while it runs.
   */
  async copyArchive(id: string, tar: Buffer, path: string): Promise<void> {
    const { pid } = await this.status(id);
    if (path !== '/' || !pid)
      throw new ScenarioError(
        `the CRI runtime copies into a running container's root only (${id.slice(0, 12)}, ${path})`,
      );
    await copyIntoRoot(`/proc/${pid}/root`, tar);
  }

  /** The engine's node observer, which sees the host's PID namespace and so every container of containerd too. */
  async observe(id: string, toolboxImage: string): Promise<ContainerObserver> {
    const node = await NodeObserver.of(this.engine.session, toolboxImage);
    const { pid } = await this.status(id);
    const none = () =>
      Promise.reject(new ScenarioError(`container ${id.slice(0, 12)}'s processes cannot be read from the node`));
    if (!node || !pid) return none();
    return node.watch(id, pid, none);
  }

  /** The image's id, once containerd has it (moved from the engine when only the engine has it). */
  async imageId(ref: string): Promise<string | undefined> {
    try {
      const name = await this.present(ref);
      return (await this.client.imageStatus(name))?.id;
    } catch (err) {
      if (err instanceof ScenarioError) return undefined;
      throw err;
    }
  }

  async pull(ref: string, timeoutMs: number): Promise<string | null> {
    const failure = await this.engine.pull(ref, timeoutMs);
    if (failure) return failure;
    this.images.delete(ref);
    await this.present(ref);
    return null;
  }

  build(spec: ImageSpec, log?: Logger): Promise<string> {
    return this.engine.build(spec, log);
  }

  readFile(image: string, path: string): Promise<Buffer> {
    return this.engine.readFile(image, path);
  }

  pathsIn(image: string, paths: readonly string[]): Promise<string[]> {
    return this.engine.pathsIn(image, paths);
  }

  createNetwork(): Promise<string> {
    return Promise.reject(new ScenarioError('on the CRI a container is reached at its pod IP: no network is created'));
  }

  /** The pod IP of its sandbox (every container of a pod has it). */
  addressOn(id: string): Promise<string> {
    const c = this.created.get(id);
    return Promise.resolve((c && this.sandboxes.get(c.sandboxId)?.podIP) ?? '');
  }

  removeNetwork(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Remove every sandbox (and so every container) this client created, or with
   * `wholeRun` every one of the run, and close the client. A containerd that no longer
   * answers is said, not thrown: what comes after (the engine's teardown) still runs.
   */
  async teardown(options: { wholeRun?: boolean } = {}): Promise<number> {
    if (this.closed) return 0;
    this.closed = true;
    clearInterval(this.relisting);
    this.hostProber.close();
    let removed = 0;
    try {
      const mine = await this.client.listPodSandboxes(
        options.wholeRun ? { [LABEL.run]: this.runId } : { [CLIENT_LABEL]: this.client_ },
      );
      for (const s of mine) {
        await this.removeSandbox(s.id);
        removed++;
      }
    } catch (err) {
      // Nothing to remove them with: the next run's sweep (or \`harness clean\`) does it.
      if (await this.stillAnswers()) throw err;
      this.log(`${this.lost}: its pod sandboxes are removed by the next run or \`harness clean\``);
    } finally {
      this.client.close();
    }
    return removed;
  }
}

/**
 * Remove the harness's sandboxes (and their containers) from its containerd: those of
 * runs whose process is gone, or with `all` every one. Returns how many.
 */
export async function sweepCri(paths = criPaths(), all = false): Promise<number> {
  const client = new CriClient(paths.socket);
  let removed = 0;
  try {
    for (const s of await client.listPodSandboxes({ [LABEL.managed]: 'true' })) {
      const pid = Number(s.labels[LABEL.pid]);
      if (!all && (s.labels[LABEL.host] !== hostname() || processAlive(pid))) continue;
      await client.stopPodSandbox(s.id).catch(notFoundOk);
      await client.removePodSandbox(s.id).catch(notFoundOk);
      const pod = s.labels['io.kubernetes.pod.name'];
      const uid = s.labels['io.kubernetes.pod.uid'];
      const ns = s.labels['io.kubernetes.pod.namespace'];
      // Names and uids are DNS labels and hex: anything else is not a folder this made.
      if ([pod, uid, ns].every((v) => v && /^[a-z0-9][a-z0-9.-]*$/.test(v)))
        rmSync(join(paths.dir, 'pods', `${ns}_${pod}_${uid}`), { recursive: true, force: true });
      removed++;
    }
  } finally {
    client.close();
  }
  return removed;
}

function notFoundOk(err: unknown): void {
  if (err instanceof CriError && err.codeName === 'NotFound') return;
  throw err;
}
