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
    // Only stops a hang: a loaded engine can take long to start a container.
    this.withStartupTimeout(spec.startupTimeoutMs ?? 60_000);
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
export async function waitForExit(
  session: Session,
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
    const r = (await session.docker.getContainer(id).wait({ abortSignal: abort.signal })) as { StatusCode: number };
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
 * not collected (nothing can hold the call open); attached, its output is read to the
 * end of the stream.
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
  const started = Date.now();
  // The output is read to the end of the stream (the engine closes it when the
  // process and everything holding its output have exited); the deadline stops a hang.
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
  stream.destroy();
  // A backgrounded child can hold the stream open after the command itself ended.
  const ended = closed || (await execEnded(exec, Math.max(0, timeoutMs - (Date.now() - started))));
  const info = ended ? await exec.inspect() : undefined;
  return {
    exitCode: info && !info.Running ? (info.ExitCode ?? null) : null,
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

/**
 * The engine's events for one container, from its creation on, read until `until`
 * holds for what has been read (e.g. its die event is there). The engine streams
 * recorded events and then live ones, so this waits for the condition, not for a
 * time; `timeoutMs` only stops a hang, and says what it waited for.
 */
export async function containerEvents(
  session: Session,
  id: string,
  sinceWallMs: number,
  until: (events: EngineEvent[]) => boolean,
  timeoutMs: number,
  what = 'the events it waited for',
): Promise<EngineEvent[]> {
  const stream = (await session.docker.getEvents({
    // Only a lower bound for the engine's search: the container filter isolates it.
    since: Math.floor(sinceWallMs / 1000) - 60,
    filters: { container: [id], type: ['container'] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  const events: EngineEvent[] = [];
  let buffered = '';
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stream.destroy();
  }, timeoutMs);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buffered += Buffer.from(chunk).toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        const e = JSON.parse(line) as {
          Action: string;
          timeNano: number;
          Actor?: { Attributes?: Record<string, string> };
        };
        events.push({ action: e.Action, timeNano: e.timeNano, attributes: e.Actor?.Attributes ?? {} });
      }
      if (until(events)) return events;
    }
  } catch (err) {
    if (!timedOut) throw err;
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
  throw new ScenarioError(
    `container ${id.slice(0, 12)}: the engine did not report ${what} within ${Math.round(timeoutMs / 1000)} s (saw: ${events.map((e) => e.action).join(', ') || 'nothing'})`,
  );
}

/**
 * Create and start a helper container (a sidecar, a probe) with plain engine calls:
 * no wait strategy, so no more requests than the engine needs.
 */
export async function startHelper(session: Session, spec: ContainerSpec): Promise<string> {
  const container = await session.docker.createContainer({
    Image: spec.image,
    Cmd: spec.cmd,
    Entrypoint: spec.entrypoint,
    Env: spec.env ? Object.entries(spec.env).map(([k, v]) => `${k}=${v}`) : undefined,
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
  } catch (err) {
    await removeContainer(session.docker, container.id);
    throw new ScenarioError(`${spec.purpose}: container of ${spec.image} did not start: ${firstLine(err)}`, {
      cause: err,
    });
  }
  return container.id;
}

/** Run a helper container to completion and return what it printed. */
export async function runToCompletion(
  session: Session,
  spec: ContainerSpec,
  timeoutMs: number,
): Promise<{ exitCode: number | null; logs: LogLine[] }> {
  const id = await startHelper(session, spec);
  try {
    const exitCode = await waitForExit(session, id, timeoutMs);
    return { exitCode, logs: await containerLogs(session, id) };
  } finally {
    await removeContainer(session.docker, id);
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
