import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { ScenarioError } from '../errors.js';
import { demuxLogs, type LogLine } from '../observe/logs.js';
import { statusOf } from './connect.js';
import { removeContainer, type Session } from './session.js';

// testcontainers' reaper image would have to be pulled; our own labels and reaper
// process do its job.
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

/** How a container under test (or a helper) is started. */
export interface ContainerSpec {
  image: string;
  /** What the container is for: a label, and part of its name. */
  purpose: string;
  labels?: Record<string, string>;
  env?: Record<string, string>;
  cmd?: string[];
  entrypoint?: string[];
  /** The engine's init option (docker-init / catatonit as PID 1). */
  init?: boolean;
  /** Overrides the image's STOPSIGNAL. */
  stopSignal?: string;
  /** Network mode: 'none' (the default) or `container:<id>` to join a pod. */
  network?: string;
  /** PID namespace: private by default, or `container:<id>`. */
  pidMode?: string;
  user?: string;
  /** Resolve start() only once a log line matches. */
  readyLog?: RegExp;
  startupTimeoutMs?: number;
  pidsLimit?: number;
  memoryBytes?: number;
}

/** Limits every container gets unless its spec says otherwise. */
export const DEFAULT_LIMITS = { pidsLimit: 256, memoryBytes: 512 * 1024 * 1024 };

/**
 * testcontainers' GenericContainer with the create options it has no builder for: the
 * engine's init, PID mode, STOPSIGNAL and resource limits.
 */
class HarnessContainer extends GenericContainer {
  constructor(spec: ContainerSpec, labels: Record<string, string>) {
    super(spec.image);
    this.withLabels(labels)
      .withNetworkMode(spec.network ?? 'none')
      .withSecurityOpt('no-new-privileges')
      // Never pull: every image is local (a missing one is a clear error upstream).
      .withPullPolicy({ shouldPull: () => false });
    if (spec.env) this.withEnvironment(spec.env);
    if (spec.cmd) this.withCommand(spec.cmd);
    if (spec.entrypoint) this.withEntrypoint(spec.entrypoint);
    if (spec.user) this.withUser(spec.user);
    if (spec.readyLog) this.withWaitStrategy(Wait.forLogMessage(spec.readyLog));
    this.withStartupTimeout(spec.startupTimeoutMs ?? 30_000);
    this.hostConfig.Init = spec.init ?? false;
    if (spec.pidMode) this.hostConfig.PidMode = spec.pidMode;
    this.hostConfig.PidsLimit = spec.pidsLimit ?? DEFAULT_LIMITS.pidsLimit;
    this.hostConfig.Memory = spec.memoryBytes ?? DEFAULT_LIMITS.memoryBytes;
    if (spec.stopSignal) this.createOpts.StopSignal = spec.stopSignal;
  }
}

/** Start a container and return its id once it is running (and ready, if asked). */
export async function startContainer(session: Session, spec: ContainerSpec): Promise<string> {
  const labels = session.labels(spec.purpose, spec.labels);
  let started: StartedTestContainer;
  try {
    started = await new HarnessContainer(spec, labels).start();
  } catch (err) {
    // testcontainers removes nothing on a failed wait: our teardown will, by label.
    throw new ScenarioError(`${spec.purpose}: container of ${spec.image} did not start: ${firstLine(err)}`, {
      cause: err,
    });
  }
  return started.getId();
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** Send a signal. Resolves false when the container was no longer running. */
export async function killContainer(session: Session, id: string, signal: string): Promise<boolean> {
  try {
    await session.docker.getContainer(id).kill({ signal });
    return true;
  } catch (err) {
    if (statusOf(err) === 409 || statusOf(err) === 304) return false;
    throw err;
  }
}

/** The engine's stop: stop signal, wait `graceSeconds`, SIGKILL. Already stopped is fine. */
export async function stopContainer(session: Session, id: string, graceSeconds: number): Promise<void> {
  try {
    await session.docker.getContainer(id).stop({ t: graceSeconds });
  } catch (err) {
    if (statusOf(err) !== 304) throw err;
  }
}

export function inspectContainer(session: Session, id: string): Promise<Docker.ContainerInspectInfo> {
  return session.docker.getContainer(id).inspect();
}

/** Wait until the container exits; null when it is still running after `timeoutMs`. */
export async function waitForExit(session: Session, id: string, timeoutMs: number): Promise<number | null> {
  // Abort the engine's wait request on timeout: left open, it would keep the process
  // alive (and hold a socket) until the container exits, which may be never.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const r = (await session.docker.getContainer(id).wait({ abortSignal: abort.signal })) as { StatusCode: number };
    return r.StatusCode;
  } catch (err) {
    if (abort.signal.aborted) return null;
    // Removed while we waited: it is not running, and its code is gone with it.
    if (statusOf(err) === 404) return null;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export async function containerLogs(session: Session, id: string): Promise<LogLine[]> {
  const buffer = (await session.docker
    .getContainer(id)
    .logs({ stdout: true, stderr: true, timestamps: true, follow: false })) as unknown as Buffer;
  return demuxLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer), true);
}

export interface ExecResult {
  /** null when the command outlived its timeout. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Poll an exec until its process has ended; false when `timeoutMs` passes first. */
async function execEnded(exec: Docker.Exec, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await exec.inspect().catch(() => undefined);
    if (info && !info.Running) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Run a command in a running container, bounded by `timeoutMs`. Detached, its output is
 * not collected (nothing can hold the call open); attached, the result does not wait
 * for the output stream to close, which a backgrounded child can hold open.
 */
export async function execInContainer(
  session: Session,
  id: string,
  cmd: string[],
  timeoutMs: number,
  options: { detach?: boolean; user?: string } = {},
): Promise<ExecResult> {
  const exec = await session.docker
    .getContainer(id)
    .exec({ Cmd: cmd, AttachStdout: !options.detach, AttachStderr: !options.detach, User: options.user });
  if (options.detach) {
    await exec.start({ Detach: true });
    const ended = await execEnded(exec, timeoutMs);
    return { exitCode: ended ? ((await exec.inspect()).ExitCode ?? null) : null, stdout: '', stderr: '' };
  }
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const errOut: Buffer[] = [];
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d: Buffer) => errOut.push(d));
  session.docker.modem.demuxStream(stream, stdout, stderr);
  const ended = await execEnded(exec, timeoutMs);
  // Give the last bytes a moment to arrive after the process ended.
  if (ended) await new Promise((r) => setTimeout(r, 20));
  stream.destroy();
  return {
    exitCode: ended ? ((await exec.inspect()).ExitCode ?? null) : null,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(errOut).toString('utf8'),
  };
}

/** Copy a tar archive into a container (works on stopped and shell-less ones). */
export async function putArchive(session: Session, id: string, tar: Buffer, path: string): Promise<void> {
  await session.docker.getContainer(id).putArchive(tar, { path });
}

export interface EngineEvent {
  action: string;
  timeNano: number;
  attributes: Record<string, string>;
}

/** The engine's recorded events for one container between two wall-clock times. */
export async function containerEvents(
  session: Session,
  id: string,
  sinceMs: number,
  untilMs: number,
): Promise<EngineEvent[]> {
  const stream = await session.docker.getEvents({
    since: Math.floor(sinceMs / 1000),
    until: Math.ceil(untilMs / 1000) + 1,
    filters: { container: [id], type: ['container'] },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { Action: string; timeNano: number; Actor?: { Attributes?: Record<string, string> } })
    .map((e) => ({ action: e.Action, timeNano: e.timeNano, attributes: e.Actor?.Attributes ?? {} }));
}

/** Run a helper container to completion and return what it printed. */
export async function runToCompletion(
  session: Session,
  spec: ContainerSpec,
  timeoutMs: number,
): Promise<{ exitCode: number | null; logs: LogLine[] }> {
  const container = await session.docker.createContainer({
    Image: spec.image,
    Cmd: spec.cmd,
    Entrypoint: spec.entrypoint,
    Labels: session.labels(spec.purpose, spec.labels),
    HostConfig: {
      NetworkMode: spec.network ?? 'none',
      PidMode: spec.pidMode,
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: spec.pidsLimit ?? DEFAULT_LIMITS.pidsLimit,
      Memory: spec.memoryBytes ?? DEFAULT_LIMITS.memoryBytes,
    },
  });
  try {
    await container.start();
    const exitCode = await waitForExit(session, container.id, timeoutMs);
    return { exitCode, logs: await containerLogs(session, container.id) };
  } finally {
    await removeContainer(session.docker, container.id);
  }
}

/** The bytes of one file of an image, read from a created (never started) container. */
export async function readFileFromImage(session: Session, image: string, path: string): Promise<Buffer> {
  const container = await session.docker.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: session.labels('file-reader'),
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    const archive = (await container.getArchive({ path })) as NodeJS.ReadableStream;
    const chunks: Buffer[] = [];
    for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  } finally {
    await removeContainer(session.docker, container.id);
  }
}
