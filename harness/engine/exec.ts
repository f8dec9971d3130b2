import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { OnEngine } from './connect.js';
import { signalOfExitCode } from '../signals.js';
import { ScenarioError } from '../errors.js';

/**
 * What a command run in a container did, in the shape execa gives for a local one.
 * `exitCode` is what the engine reports (a process killed by signal N reads 128+N, as a
 * shell reports it) and `signal` names N then; both are undefined when the command
 * outlived its timeout (`timedOut`). stdout and stderr are read to the end of the
 * stream; empty for a detached command.
 */
export interface ExecResult {
  command: string;
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  /** The command did not exit 0 (or timed out). */
  failed: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Run without attaching: nothing can hold the call open, and no output is kept. */
  detach?: boolean;
  user?: string;
  /**
   * The most bytes kept of each of stdout and stderr (default EXEC_OUTPUT_MAX); the
   * rest is read and dropped, and the kept text ends with a note of how much was cut.
   */
  maxOutputBytes?: number;
}

/** What is kept of one stream of an exec unless asked otherwise: the command runs in a container the harness does not trust. */
const EXEC_OUTPUT_MAX = 4 * 1024 * 1024;

/**
 * Why the engine refused to start an exec, when the container explains it: a container
 * at its pids limit cannot start one more process, and the engine only says "OCI
 * runtime exec failed" (runc's "read init-p: connection reset by peer"). Otherwise the
 * engine's own error.
 */
async function execRefused(session: OnEngine, id: string, err: unknown): Promise<unknown> {
  const stats = (await session.engine.docker
    .getContainer(id)
    .stats({ stream: false, 'one-shot': true } as { stream: false })
    .catch(() => undefined)) as { pids_stats?: { current?: number; limit?: number } } | undefined;
  const pids = stats?.pids_stats;
  if (pids?.current && pids.limit && pids.current >= pids.limit)
    return new ScenarioError(
      `nothing can be exec'd into container ${id.slice(0, 12)}: it is at its pids limit (${pids.current} of ${pids.limit} processes)`,
      { cause: err },
    );
  return err;
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
 * One side of the demultiplexed output, read until the stream ends, at most `max`
 * bytes of it kept; a cut is marked at the end of the text.
 */
export function collect(stream: PassThrough, max = EXEC_OUTPUT_MAX): { text: () => string } {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  stream.on('data', (d: Buffer) => {
    const room = max - kept;
    if (room > 0) chunks.push(d.length > room ? d.subarray(0, room) : d);
    kept += Math.min(room > 0 ? room : 0, d.length);
    dropped += Math.max(0, d.length - Math.max(room, 0));
  });
  return {
    text: () => {
      const text = Buffer.concat(chunks).toString('utf8');
      return dropped ? `${text}\n[${dropped} more bytes cut by the harness]` : text;
    },
  };
}

/**
 * Run a command in a running container, bounded by `timeoutMs`. Attached, its output is
 * read until the engine ends the stream (the process and everything holding its output
 * have exited), as the kubelet's exec does: a truncated answer is never taken for the
 * whole. The deadline only stops a hang (or is the probe's timeout); past it, a
 * command that has nevertheless exited still gives its exit code.
 */
export async function execInContainer(
  session: OnEngine,
  id: string,
  cmd: string[],
  timeoutMs: number,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const started = Date.now();
  const command = cmd.join(' ');
  // Podman (4.3) never records the end of a detached exec (its inspect says Running
  // forever): there it runs attached, its output read and dropped, which ends when the
  // process and whatever it left holding its output have exited.
  const detach = options.detach && session.engine.info.kind !== 'podman';
  const exec = await session.engine.docker
    .getContainer(id)
    .exec({ Cmd: cmd, AttachStdout: !detach, AttachStderr: !detach, User: options.user });
  let stdout = '';
  let stderr = '';
  let ended: boolean;
  if (detach) {
    await exec
      .start({ Detach: true })
      .catch(async (err: unknown) => Promise.reject(await execRefused(session, id, err)));
    ended = await execEnded(exec, timeoutMs);
  } else {
    const stream = await exec
      .start({ hijack: true, stdin: false })
      .catch(async (err: unknown) => Promise.reject(await execRefused(session, id, err)));
    const out = new PassThrough();
    const err = new PassThrough();
    const outText = collect(out, options.maxOutputBytes);
    const errText = collect(err, options.maxOutputBytes);
    session.engine.docker.modem.demuxStream(stream, out, err);
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
    // The demultiplexer has been handed every byte by now ('end' follows the last 'data').
    stream.destroy();
    out.end();
    err.end();
    stdout = options.detach ? '' : outText.text();
    stderr = options.detach ? '' : errText.text();
    ended = closed || (await execEnded(exec, Math.max(0, timeoutMs - (Date.now() - started))));
  }
  const info = ended ? await exec.inspect() : undefined;
  const exitCode = info && !info.Running && typeof info.ExitCode === 'number' ? info.ExitCode : undefined;
  const timedOut = exitCode === undefined;
  return {
    command,
    exitCode,
    signal: signalOfExitCode(exitCode),
    timedOut,
    failed: timedOut || exitCode !== 0,
    durationMs: Date.now() - started,
    stdout,
    stderr,
  };
}

/**
 * A long-lived command in a running container with its stdin open: lines written to it,
 * stdout read line by line (stderr kept for the reason it ended). For a server that
 * answers many requests over one exec instead of one exec per request.
 */
export interface ExecStream {
  /** Send one line; false when the stream has already ended. */
  writeLine(line: string): boolean;
  /** Settles when the command's output ends (it exited or the stream broke), with its last stderr line. */
  readonly ended: Promise<string>;
  /**
   * Close its stdin: the command ends when it reads that, and its last output is still
   * read. A stream still open `graceMs` later (default 10 s) is dropped.
   */
  close(graceMs?: number): void;
}

export async function openExecStream(
  session: OnEngine,
  id: string,
  cmd: string[],
  onLine: (line: string) => void,
): Promise<ExecStream> {
  const exec = await session.engine.docker
    .getContainer(id)
    .exec({ Cmd: cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec
    .start({ hijack: true, stdin: true })
    .catch(async (err: unknown) => Promise.reject(await execRefused(session, id, err)));
  const out = new PassThrough();
  const err = new PassThrough();
  const errText = collect(err);
  session.engine.docker.modem.demuxStream(stream, out, err);
  let pending = '';
  out.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim()) onLine(line);
    }
  });
  let open = true;
  const ended = new Promise<string>((resolve) => {
    const done = (e?: unknown) => {
      if (!open) return;
      open = false;
      out.end();
      err.end();
      const last = errText.text().trim().split('\n').at(-1) ?? '';
      resolve(last || (e instanceof Error ? e.message : 'its output ended'));
    };
    stream.once('end', () => done());
    stream.once('close', () => done());
    stream.once('error', done);
  });
  return {
    writeLine(line) {
      if (!open || stream.writableEnded) return false;
      stream.write(`${line}\n`);
      return true;
    },
    ended,
    close(graceMs = 10_000) {
      if (!open || stream.writableEnded) return;
      stream.end();
      setTimeout(() => stream.destroy(), graceMs).unref();
    },
  };
}
