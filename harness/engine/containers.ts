import type Docker from 'dockerode';
import type { StartedTestContainer } from 'testcontainers';
import { BadInputError, describeError, ScenarioError, StartCancelledError } from '../errors.js';
import { statusOf, type OnEngine } from './connect.js';
import { demuxLogs, type LogLine } from './logs.js';
import type { Session } from './session.js';
import { removeContainer, stateImproper } from './remove.js';

export { dependentsNamed, goneOnPodman, removeContainer, stateImproper } from './remove.js';
import { signalName } from '../signals.js';

// testcontainers' reaper image would have to be pulled; our own labels and reaper
// process do its job.
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

/** How a container under test (or a helper) is started. */
export interface ContainerSpec {
  image: string;
  /** What the container is for: a label, and part of its name. */
  purpose: string;
  /**
   * Start it in its turn (see Session.starting): a check's scenario container, whose
   * engine latency its verdict's bands are derived from. Ignored with a ready line (the
   * start then waits for the line, which must not hold up other starts).
   */
  takeTurn?: boolean;
  labels?: Record<string, string>;
  env?: Record<string, string>;
  cmd?: string[];
  entrypoint?: string[];
  /** The engine's init option (docker-init / catatonit as PID 1). */
  init?: boolean;
  /** Overrides the image's STOPSIGNAL. */
  stopSignal?: string;
  /**
   * Network mode: 'none' (the default), `container:<id>` to join a pod, a network's
   * name, or 'loopback': the loopback interface and nothing else, not even the files
   * the engine's network sandbox writes (/etc/hosts, resolv.conf). For the harness's
   * own programs, which resolve no name: Docker then skips its network sandbox and the
   * libnetwork hook it runs at every start, about half of a container's start.
   */
  network?: string;
  /** The process's working directory (the image's when unset). */
  workingDir?: string;
  /** PID namespace: private by default, `container:<id>`, or `host` (the node's). */
  pidMode?: string;
  /** Capabilities added to the engine's default set. */
  capAdd?: string[];
  user?: string;
  /** Resolve start() only once a log line matches. */
  readyLog?: RegExp;
  startupTimeoutMs?: number;
  pidsLimit?: number;
  memoryBytes?: number;
  /** Not started once this aborts (a pod whose deletion began): created, then removed. */
  startUnless?: AbortSignal;
  /**
   * A runtime with pods (the CRI): the sandbox it is created in, and the container's name
   * and attempt there (its metadata, and its log's path: <name>/<attempt>.log).
   */
  sandbox?: { id: string; container: string; attempt: number; sharePid: boolean };
}

/**
 * Limits every container gets unless its spec says otherwise: processes, memory (and no
 * swap beyond it), one CPU, and the log the engine keeps of it (a flood fills no disk:
 * the engine keeps the newest part).
 */
const DEFAULT_LIMITS = {
  pidsLimit: 256,
  memoryBytes: 512 * 1024 * 1024,
  nanoCpus: 1_000_000_000,
  logMaxBytes: '8m',
};

/**
 * The engine's log options: Docker's `local` driver (compressed, rotated) kept to one
 * file of at most logMaxBytes; Podman's own driver with its max-size (log_size_max).
 */
function logConfig(kind: EngineKindName): { Type: string; Config: Record<string, string> } {
  return kind === 'podman'
    ? { Type: '', Config: { 'max-size': DEFAULT_LIMITS.logMaxBytes } }
    : { Type: 'local', Config: { 'max-size': DEFAULT_LIMITS.logMaxBytes, 'max-file': '1', compress: 'false' } };
}

type EngineKindName = 'docker' | 'podman';

/** Whether a network mode names an engine network (not none, host, the default bridge or another container's). */
const onNamedNetwork = (mode: string | undefined): boolean =>
  !!mode && !['none', 'loopback', 'host', 'bridge', 'default'].includes(mode) && !mode.startsWith('container:');

/** The engine's network mode for a spec's network ('loopback' is 'none' with networking disabled). */
const networkMode = (network: string | undefined): string =>
  network === undefined || network === 'loopback' ? 'none' : network;

/**
 * The engine's own record of a container (its inspect answer), as far as the harness
 * reads it: its own type, so the engine client's types stay in engine/ (the Docker API's
 * field names, which Podman's compatible API shares).
 */
export interface ContainerDetails {
  Id: string;
  State: {
    Status: string;
    Running: boolean;
    Pid: number;
    ExitCode: number;
    OOMKilled: boolean;
    /** RFC 3339 with nanoseconds; the zero time until it happened. */
    StartedAt: string;
    FinishedAt: string;
  };
  Config: {
    /** The image reference it was created from. */
    Image?: string;
    Entrypoint?: string[] | string | null;
    Cmd?: string[] | string | null;
    User?: string;
    StopSignal?: string;
  };
  HostConfig: {
    Memory?: number;
    PidsLimit?: number | null;
    SecurityOpt?: string[] | null;
    Privileged?: boolean;
    NetworkMode?: string;
    Binds?: string[] | null;
  };
  /** What is mounted into it (the harness mounts nothing into an image under test). */
  Mounts: unknown[];
}

/**
 * The one translation of a container spec into the engine's create options, for
 * subjects and helpers alike: the sandbox a pod gets from an orchestrator, no more and
 * no less. The engine's default capabilities (as Kubernetes keeps them: an image that
 * binds a low port or switches users behaves as it will in production), no new
 * privileges, pids, memory (swap equal to it: none more) and CPU limits, a size-capped
 * log, the image's HEALTHCHECK off (Kubernetes ignores it; it would exec into the
 * container while it is observed), no network unless it joins one, nothing pulled. The
 * labels are the harness's, set here at create time.
 */
export function createOptions(
  spec: ContainerSpec,
  labels: Record<string, string>,
  kind: EngineKindName = 'docker',
): Docker.ContainerCreateOptions {
  const stopSignal = spec.stopSignal === undefined ? undefined : signalName(spec.stopSignal);
  if (spec.stopSignal !== undefined && !stopSignal) throw new BadInputError(`unknown stop signal ${spec.stopSignal}`);
  return {
    Image: spec.image,
    Cmd: spec.cmd,
    // An empty entrypoint clears the image's (docker run --entrypoint ''): the engine
    // reads [] as "unset" and [''] as "none".
    Entrypoint: spec.entrypoint?.length === 0 ? [''] : spec.entrypoint,
    Env: spec.env ? Object.entries(spec.env).map(([k, v]) => `${k}=${v}`) : undefined,
    User: spec.user,
    WorkingDir: spec.workingDir,
    Labels: labels,
    StopSignal: stopSignal,
    Healthcheck: { Test: ['NONE'] },
    ...(spec.network === 'loopback' ? { NetworkDisabled: true } : {}),
    HostConfig: {
      Init: spec.init ?? false,
      NetworkMode: networkMode(spec.network),
      PidMode: spec.pidMode,
      CapAdd: spec.capAdd,
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: spec.pidsLimit ?? DEFAULT_LIMITS.pidsLimit,
      Memory: spec.memoryBytes ?? DEFAULT_LIMITS.memoryBytes,
      MemorySwap: spec.memoryBytes ?? DEFAULT_LIMITS.memoryBytes,
      NanoCpus: DEFAULT_LIMITS.nanoCpus,
      // On a network of the harness's (internal: no route out), names the engine does not
      // know itself are asked of the container's own loopback, never forwarded off the
      // machine (Docker before 26 forwarded them from the host: CVE-2024-29018).
      ...(onNamedNetwork(spec.network) ? { Dns: ['127.0.0.1'] } : {}),
      LogConfig: logConfig(kind),
    },
  };
}

/**
 * testcontainers' GenericContainer carrying exactly the create options of
 * `createOptions`, for its wait strategy (the ready line) and startup deadline. Its
 * module is loaded on first use (report writers and definitions never load it).
 */
async function harnessContainer(spec: ContainerSpec, labels: Record<string, string>, kind: EngineKindName) {
  const { GenericContainer, Wait } = await import('testcontainers');
  return new (class HarnessContainer extends GenericContainer {
    constructor() {
      super(spec.image);
      const { HostConfig, ...create } = createOptions(spec, labels, kind);
      // Never pull: every image is local (a missing one is a clear error upstream).
      this.withPullPolicy({ shouldPull: () => false });
      if (spec.readyLog) this.withWaitStrategy(Wait.forLogMessage(spec.readyLog));
      // Only stops a hang: a loaded engine can take long to start a container.
      this.withStartupTimeout(spec.startupTimeoutMs ?? 60_000);
      Object.assign(this.createOpts, create);
      Object.assign(this.hostConfig, HostConfig);
      // testcontainers sets the network mode from its own field when it starts.
      this.withNetworkMode(networkMode(HostConfig?.NetworkMode));
    }
  })();
}

/** Start a container and return its id once it is running (and ready, if asked). */
export async function startContainer(session: Session, spec: ContainerSpec): Promise<string> {
  // Without a ready line there is nothing for testcontainers' wait strategy to do.
  if (!spec.readyLog) return startHelper(session, spec);
  const labels = session.labels(spec.purpose, spec.labels);
  let started: StartedTestContainer;
  try {
    const container = await harnessContainer(spec, labels, session.engine.info.kind);
    started = await session.creating(() => container.start());
  } catch (err) {
    // testcontainers removes nothing on a failed wait: our teardown will, by label.
    throw new ScenarioError(`${spec.purpose}: container of ${spec.image} did not start: ${firstLine(err)}`, {
      cause: err,
      detail: describeError(err),
    });
  }
  return started.getId();
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** Send a signal. Resolves false when the container was no longer running. */
export async function killContainer(session: OnEngine, id: string, signal: string): Promise<boolean> {
  try {
    await session.engine.docker.getContainer(id).kill({ signal });
    return true;
  } catch (err) {
    if (statusOf(err) === 409 || statusOf(err) === 304 || stateImproper(err)) return false;
    throw err;
  }
}

/**
 * The container's processes as the engine lists them (`docker top`: the host's ps over
 * the container's cgroup), each as "PID CMD" with the host's pid; null once it is not
 * running. Its answer does not wait for the engine to have processed an exit: a process
 * that is gone is not listed.
 */
export async function containerProcesses(session: OnEngine, id: string): Promise<string[] | null> {
  try {
    const top = (await session.engine.docker.getContainer(id).top({ ps_args: '-o pid,args' })) as {
      Titles?: string[];
      Processes?: string[][] | null;
    };
    // The image chooses its argv: a few processes, each cut short, are evidence enough.
    return (top.Processes ?? [])
      .slice(0, 8)
      .map((row) => row.join(' '))
      .map((r) => (r.length > 200 ? `${r.slice(0, 200)}...` : r));
  } catch (err) {
    if (statusOf(err) === 409 || statusOf(err) === 404 || stateImproper(err)) return null;
    throw err;
  }
}

/** The engine's stop: stop signal, wait `graceSeconds`, SIGKILL. Already stopped is fine. */
export async function stopContainer(session: OnEngine, id: string, graceSeconds: number): Promise<void> {
  try {
    await session.engine.docker.getContainer(id).stop({ t: graceSeconds });
  } catch (err) {
    if (statusOf(err) !== 304) throw err;
  }
}

export async function inspectContainer(session: OnEngine, id: string): Promise<ContainerDetails> {
  const info: Docker.ContainerInspectInfo = await session.engine.docker.getContainer(id).inspect();
  return info;
}

/** Wait until the container exits; null when it is still running after `timeoutMs`. */
export async function waitForExit(
  session: OnEngine,
  id: string,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<number | null> {
  // Abort the engine's wait request on timeout (or when `stop` aborts): left open, it
  // would keep the process alive (and hold a socket) until the container exits.
  const abort = new AbortController();
  if (stop?.aborted) return null;
  const onStop = () => abort.abort();
  stop?.addEventListener('abort', onStop, { once: true });
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const r = (await session.engine.docker.getContainer(id).wait({ abortSignal: abort.signal })) as {
      StatusCode: number;
    };
    return r.StatusCode;
  } catch (err) {
    if (abort.signal.aborted) return null;
    // Removed while we waited: it is not running, and its code is gone with it.
    if (statusOf(err) === 404) return null;
    throw err;
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  }
}

/**
 * The most lines of a container's log the harness reads at once (its last ones): an
 * image that floods stdout would otherwise make every read, and every report, as large
 * as everything it ever printed.
 */
export const LOG_TAIL_LINES = 1000;

export async function containerLogs(session: OnEngine, id: string): Promise<LogLine[]> {
  const buffer = (await session.engine.docker
    .getContainer(id)
    .logs({ stdout: true, stderr: true, timestamps: true, follow: false, tail: LOG_TAIL_LINES })) as unknown as Buffer;
  return demuxLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer), true);
}

/** Copy a tar archive into a container (works on stopped and shell-less ones). */
export async function putArchive(session: OnEngine, id: string, tar: Buffer, path: string): Promise<void> {
  await session.engine.docker.getContainer(id).putArchive(tar, { path });
}

/**
 * Create and start a helper container (a sidecar, a probe) with plain engine calls:
 * no wait strategy, so no more requests than the engine needs.
 */
export async function startHelper(session: Session, spec: ContainerSpec): Promise<string> {
  const container = await session.creating(() =>
    session.engine.docker.createContainer(
      createOptions(spec, session.labels(spec.purpose, spec.labels), session.engine.info.kind),
    ),
  );
  try {
    if (spec.startUnless?.aborted) throw new StartCancelledError(`${spec.purpose} of ${spec.image}`);
    await container.start();
  } catch (err) {
    if (err instanceof StartCancelledError) {
      await removeContainer(session, container.id);
      throw err;
    }
    await removeContainer(session, container.id);
    throw new ScenarioError(`${spec.purpose}: container of ${spec.image} did not start: ${firstLine(err)}`, {
      cause: err,
      detail: describeError(err),
    });
  }
  return container.id;
}

/**
 * Run `read` against a created, never started container of `image` (nothing of the
 * image runs), removed afterwards.
 */
async function withCreated<T>(session: Session, image: string, read: (c: Docker.Container) => Promise<T>): Promise<T> {
  const container = await session.creating(() =>
    session.engine.docker.createContainer(
      createOptions(
        { image, purpose: 'file-reader', cmd: ['true'] },
        session.labels('file-reader'),
        session.engine.info.kind,
      ),
    ),
  );
  try {
    return await read(container);
  } finally {
    await removeContainer(session, container.id);
  }
}

/** Which of `paths` exist in an image (files or links), asked of one created container. */
export function pathsInImage(session: Session, image: string, paths: readonly string[]): Promise<string[]> {
  return withCreated(session, image, async (container) => {
    const found: string[] = [];
    for (const path of paths) {
      const ok = await container.infoArchive({ path }).then(
        () => true,
        (err: unknown) => {
          if (statusOf(err) === 404) return false;
          throw err;
        },
      );
      if (ok) found.push(path);
    }
    return found;
  });
}

/** The bytes of one file of an image, read from a created (never started) container. */
export function readFileFromImage(session: Session, image: string, path: string): Promise<Buffer> {
  return withCreated(session, image, async (container) => {
    const archive = (await container.getArchive({ path })) as NodeJS.ReadableStream;
    const chunks: Buffer[] = [];
    for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  });
}
