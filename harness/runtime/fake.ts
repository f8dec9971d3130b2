import { ScenarioError } from '../errors.js';
import type { ImageSpec } from '../images/build.js';
import { signalName, signalNumber } from '../signals.js';
import type {
  ContainerDetails,
  ContainerObserver,
  ContainerRuntime,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  ExecStream,
  LogLine,
  ProcessRow,
  PsSnapshot,
  RuntimeEvent,
} from './runtime.js';

/**
 * An in-memory ContainerRuntime for unit tests: no engine, no process, no network.
 * Each image is a program written against FakeContainer (processes with signal
 * handling, log lines, exits, listening ports), and the kernel's rules a check reads
 * are kept: a signal at its default disposition is dropped for PID 1 and ends any other
 * process; SIGKILL ends any; a process that exits is a zombie until its parent reaps
 * it, and its children are re-parented to PID 1; the container exits with PID 1.
 * Time is real (timers), so a test keeps its figures short.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly kind = 'fake';
  readonly runId = 'fake-run';
  readonly lost = undefined;
  private readonly images = new Map<string, FakeImage>();
  readonly containers = new Map<string, FakeContainer>();
  private readonly networks = new Map<string, string>();
  private nextId = 1;
  /** How long each inspect takes, ms (a busy engine answers slowly). */
  inspectDelayMs = 0;

  /** Add an image: `ref` runs `image.program` when a container of it starts. */
  image(ref: string, image: FakeImage): this {
    this.images.set(ref, image);
    return this;
  }

  stillAnswers(): Promise<boolean> {
    return Promise.resolve(true);
  }

  private container(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new ScenarioError(`no such container: ${id.slice(0, 12)} (HTTP code 404)`);
    return c;
  }

  async start(spec: ContainerSpec): Promise<string> {
    const image = this.images.get(spec.image);
    if (!image) throw new ScenarioError(`${spec.purpose}: container of ${spec.image} did not start: no such image`);
    if (image.startError)
      throw new ScenarioError(
        `${spec.purpose}: container of ${spec.image} did not start: (HTTP code 400) unexpected - ${image.startError}`,
      );
    const id = `fake${String(this.nextId++).padStart(8, '0')}${'0'.repeat(52)}`;
    const c = new FakeContainer(id, spec, image, this);
    this.containers.set(id, c);
    c.event('create');
    c.begin();
    if (spec.readyLog) {
      const line = spec.readyLog;
      const seen = await until(spec.startupTimeoutMs ?? 60_000, () => c.logs.some((l) => line.test(l.text)));
      if (!seen) {
        await this.remove(id);
        throw new ScenarioError(`${spec.purpose}: container of ${spec.image} did not start: no ready line ${line}`);
      }
    }
    return id;
  }

  starting<T>(start: () => Promise<T>): Promise<T> {
    return start();
  }

  async signal(id: string, signal: string): Promise<boolean> {
    const c = this.container(id);
    if (!c.running) return false;
    c.event('kill', { signal: String(signalNumber(signal) ?? signal) });
    c.deliver(1, signal);
    return true;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const c = this.container(id);
    if (!c.running) return;
    await this.signal(id, c.stopSignal);
    if (!(await until(graceSeconds * 1000, () => !c.running))) await this.signal(id, 'SIGKILL');
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    if (c.running) c.deliver(1, 'SIGKILL');
    c.removed = true;
    this.containers.delete(id);
  }

  async inspect(id: string): Promise<ContainerDetails> {
    if (this.inspectDelayMs > 0) await new Promise((r) => setTimeout(r, this.inspectDelayMs));
    return this.container(id).details();
  }

  async wait(id: string, timeoutMs: number, abort?: AbortSignal): Promise<number | null> {
    const c = this.container(id);
    const done = await until(timeoutMs, () => !c.running || !!abort?.aborted);
    return done && !c.running ? (c.exitCode ?? null) : null;
  }

  async top(id: string): Promise<string[] | null> {
    const c = this.container(id);
    if (!c.running) return null;
    return [...c.processes.values()].map((p) => `${p.pid} ${p.stat === 'Z' ? `[${p.comm}] <defunct>` : p.args}`);
  }

  async exec(id: string, cmd: string[], timeoutMs: number, options: ExecOptions = {}): Promise<ExecResult> {
    const c = this.container(id);
    if (!c.running) throw new ScenarioError(`container ${id.slice(0, 12)} is not running (HTTP code 409)`);
    const t0 = Date.now();
    const r = (await c.image.exec?.(c, cmd, options)) ?? { exitCode: 127, stderr: `${cmd[0]}: not found` };
    const exitCode = r.exitCode;
    const signal = exitCode !== undefined && exitCode > 128 ? signalName(String(exitCode - 128)) : undefined;
    return {
      command: cmd.join(' '),
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(signal ? { signal } : {}),
      timedOut: exitCode === undefined || Date.now() - t0 > timeoutMs,
      failed: exitCode !== 0,
      durationMs: Date.now() - t0,
      stdout: options.detach ? '' : (r.stdout ?? ''),
      stderr: options.detach ? '' : (r.stderr ?? ''),
    };
  }

  async execStream(id: string, cmd: string[], onLine: (line: string) => void): Promise<ExecStream> {
    const c = this.container(id);
    const open = c.image.execStream?.(c, cmd, onLine);
    if (!open) throw new ScenarioError(`${cmd[0]}: not found in the fake image ${c.spec.image}`);
    return open;
  }

  async logs(id: string): Promise<LogLine[]> {
    return [...this.container(id).logs];
  }

  async events(
    id: string,
    sinceWallMs: number,
    check: (events: RuntimeEvent[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<RuntimeEvent[]> {
    const c = this.container(id);
    const read = () => c.events.filter((e) => e.timeNano >= sinceWallMs * 1e6 - 1e9);
    if (!(await until(timeoutMs, () => check(read()))))
      throw new ScenarioError(`container ${id.slice(0, 12)}: the runtime did not report ${what}`);
    return read();
  }

  async copyArchive(id: string, tar: Buffer, path: string): Promise<void> {
    this.container(id).copied.push({ path, bytes: tar.length });
  }

  async observe(id: string): Promise<ContainerObserver> {
    const c = this.container(id);
    return {
      snapshot: async (): Promise<PsSnapshot> => {
        if (!c.running) throw new ScenarioError(`container ${id.slice(0, 12)} has no PID namespace left to read`);
        return { atMs: performance.now(), processes: [...c.processes.values()].map((p) => p.row()) };
      },
      listeningPorts: async () => new Set(c.running ? c.ports : []),
      remove: async () => undefined,
      fromInside: () => false,
    };
  }

  async imageId(ref: string): Promise<string | undefined> {
    return this.images.has(ref) ? `sha256:fake-${ref}` : undefined;
  }

  async pull(ref: string): Promise<string | null> {
    return this.images.has(ref) ? null : 'the fake runtime has no registry';
  }

  async build(spec: ImageSpec): Promise<string> {
    throw new ScenarioError(`the fake runtime builds no image (asked for ${spec.name})`);
  }

  async readFile(image: string, path: string): Promise<Buffer> {
    const file = this.images.get(image)?.files?.[path];
    if (!file) throw new ScenarioError(`no ${path} in the fake image ${image}`);
    return file;
  }

  async pathsIn(image: string, paths: readonly string[]): Promise<string[]> {
    const files = this.images.get(image)?.files ?? {};
    return paths.filter((p) => p in files);
  }

  async createNetwork(name: string): Promise<string> {
    const id = `net-${this.networks.size + 1}`;
    this.networks.set(id, name);
    return id;
  }

  async addressOn(id: string, network: string): Promise<string> {
    const c = this.container(id);
    return c.spec.network === network ? addressOf(c) : '';
  }

  async removeNetwork(id: string): Promise<void> {
    this.networks.delete(id);
  }

  /** The container whose network namespace `c` is in: the one its `container:<id>` mode names, or itself. */
  netnsOf(c: FakeContainer): FakeContainer {
    const m = /^container:(.+)$/.exec(c.spec.network ?? '');
    return (m && this.containers.get(m[1] as string)) || c;
  }

  /**
   * Whether a connection from `from` to `host`:`port` would be accepted: 127.0.0.1 is
   * `from`'s own network namespace, any other address the container that has it; a
   * namespace listens when a running container in it does.
   */
  accepts(from: FakeContainer, host: string, port: number): boolean {
    const target =
      host === '127.0.0.1' || host === 'localhost'
        ? this.netnsOf(from)
        : [...this.containers.values()].find((c) => c.running && addressOf(c) === host);
    if (!target) return false;
    return [...this.containers.values()].some((c) => c.running && this.netnsOf(c) === target && c.ports.has(port));
  }
}

/** A container's address on the network it joined by name. */
function addressOf(c: FakeContainer): string {
  return `10.89.0.${Number(c.id.slice(4, 12))}`;
}

/** What an exec did: its exit code (undefined: it never ended) and output. */
export interface FakeExecResult {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

/** A fake image: the program its containers run, and what an exec into one does. */
export interface FakeImage {
  /** Called once a container starts: spawn PID 1 (and more), log, set timers. */
  program(c: FakeContainer): void;
  /** The image's STOPSIGNAL (SIGTERM when unset), entrypoint, command, user. */
  config?: { stopSignal?: string; entrypoint?: string[]; cmd?: string[]; user?: string };
  /** What an exec does: its exit code (undefined: it never ended) and output. */
  exec?(
    c: FakeContainer,
    cmd: string[],
    options: ExecOptions,
  ): FakeExecResult | undefined | Promise<FakeExecResult | undefined>;
  /** A long-lived exec with its stdin open (undefined: no such command in the image). */
  execStream?(c: FakeContainer, cmd: string[], onLine: (line: string) => void): ExecStream | undefined;
  /** Files in the image, by path. */
  files?: Record<string, Buffer>;
  /** The runtime refuses to start its containers, in these words (a program the image lacks). */
  startError?: string;
}

/** How a fake process treats signals: handled (a function), ignored, or blocked; the rest are at their default. */
export interface FakeProcessSpec {
  comm: string;
  args?: string;
  /** The program it runs (/proc/<pid>/exe); unset: not readable. */
  exe?: string;
  ppid?: number;
  handles?: Record<string, (signal: string) => void>;
  ignores?: string[];
  blocks?: string[];
  /** Reaps its children as they exit (waitpid); PID 1 so reaps orphans too. */
  reaps?: boolean;
}

/** Signals whose default action is to do nothing. */
const DEFAULT_IGNORED = new Set(['SIGCHLD', 'SIGWINCH', 'SIGURG', 'SIGCONT']);

export class FakeProcess {
  stat = 'S';
  constructor(
    readonly pid: number,
    public ppid: number,
    readonly spec: FakeProcessSpec,
  ) {}

  get comm(): string {
    return this.spec.comm;
  }

  get args(): string {
    return this.spec.args ?? this.spec.comm;
  }

  row(): ProcessRow {
    const mask = (names: readonly string[]) =>
      names
        .reduce((m, s) => m | (1n << BigInt((signalNumber(s) ?? 1) - 1)), 0n)
        .toString(16)
        .padStart(16, '0');
    return {
      pid: this.pid,
      ppid: this.ppid,
      stat: this.stat,
      comm: this.comm,
      ...(this.spec.exe ? { exe: this.spec.exe } : {}),
      args: this.stat === 'Z' ? `[${this.comm}]` : this.args,
      ...(this.stat === 'Z'
        ? {}
        : {
            masks: {
              SigPnd: mask([]),
              ShdPnd: mask([]),
              SigBlk: mask(this.spec.blocks ?? []),
              SigIgn: mask(this.spec.ignores ?? []),
              SigCgt: mask(Object.keys(this.spec.handles ?? {})),
              State: 'S',
            },
          }),
    };
  }
}

export class FakeContainer {
  readonly processes = new Map<number, FakeProcess>();
  readonly logs: LogLine[] = [];
  readonly events: RuntimeEvent[] = [];
  readonly ports = new Set<number>();
  readonly copied: { path: string; bytes: number }[] = [];
  readonly env: Record<string, string>;
  running = false;
  removed = false;
  exitCode?: number;
  private nextPid = 1;
  private readonly exitWatchers = new Map<number, ((code: number) => void)[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private startedAt = '0001-01-01T00:00:00Z';
  private finishedAt = '0001-01-01T00:00:00Z';

  constructor(
    readonly id: string,
    readonly spec: ContainerSpec,
    readonly image: FakeImage,
    readonly runtime: FakeRuntime,
  ) {
    this.env = { ...spec.env };
  }

  get stopSignal(): string {
    return this.spec.stopSignal ?? this.image.config?.stopSignal ?? 'SIGTERM';
  }

  begin(): void {
    this.running = true;
    this.startedAt = new Date().toISOString();
    this.event('start');
    this.image.program(this);
  }

  event(action: string, attributes: Record<string, string> = {}): void {
    // Strictly increasing, as an engine's event clock is for one container.
    const last = this.events.at(-1)?.timeNano ?? 0;
    this.events.push({ action, timeNano: Math.max(Date.now() * 1e6, last + 1), attributes });
  }

  /** Start a process (PID 1 first); its parent is PID 1 unless said. */
  spawn(spec: FakeProcessSpec): FakeProcess {
    const pid = this.nextPid++;
    const p = new FakeProcess(pid, pid === 1 ? 0 : (spec.ppid ?? 1), spec);
    this.processes.set(pid, p);
    return p;
  }

  log(text: string): void {
    this.logs.push({ stream: 'stdout', time: new Date().toISOString(), text });
  }

  /** Run `fn` after `ms` unless the container has exited by then. */
  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.running) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Call `fn` with `pid`'s exit code once it exits (what its parent's wait returns). */
  onExit(pid: number, fn: (code: number) => void): void {
    this.exitWatchers.set(pid, [...(this.exitWatchers.get(pid) ?? []), fn]);
  }

  /** A signal reaches `pid`, as the kernel delivers it. */
  deliver(pid: number, signal: string): void {
    const p = this.processes.get(pid);
    if (!p || p.stat === 'Z') return;
    const name = signalName(signal) ?? signal;
    if (name === 'SIGKILL') return this.exit(pid, 137);
    const handler = p.spec.handles?.[name];
    if (handler) return handler(name);
    if (p.spec.ignores?.includes(name) || p.spec.blocks?.includes(name) || DEFAULT_IGNORED.has(name)) return;
    // The default action: PID 1 of a namespace is spared, any other process ends.
    if (pid !== 1) this.exit(pid, 128 + (signalNumber(name) ?? 0));
  }

  /** A process exits with `code`. PID 1's exit ends the container (and every process in it). */
  exit(pid: number, code: number): void {
    const p = this.processes.get(pid);
    if (!p || p.stat === 'Z') return;
    if (pid === 1) {
      this.running = false;
      this.exitCode = code;
      this.finishedAt = new Date().toISOString();
      this.processes.clear();
      this.ports.clear();
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      this.event('die', { exitCode: String(code) });
      return;
    }
    p.stat = 'Z';
    for (const child of this.processes.values()) if (child.ppid === pid) this.adopt(child);
    if (this.processes.get(p.ppid)?.spec.reaps) this.processes.delete(pid);
    for (const fn of this.exitWatchers.get(pid) ?? []) fn(code);
  }

  /** PID 1 takes an orphan; one that has already exited is reaped at once when PID 1 reaps. */
  private adopt(child: FakeProcess): void {
    child.ppid = 1;
    if (child.stat === 'Z' && this.processes.get(1)?.spec.reaps) this.processes.delete(child.pid);
  }

  details(): ContainerDetails {
    const config = this.image.config ?? {};
    return {
      Id: this.id,
      State: {
        Status: this.running ? 'running' : 'exited',
        Running: this.running,
        Pid: this.running ? 4000 + Number(this.id.slice(4, 12)) : 0,
        ExitCode: this.exitCode ?? 0,
        OOMKilled: false,
        StartedAt: this.startedAt,
        FinishedAt: this.finishedAt,
      },
      Config: {
        Entrypoint: this.spec.entrypoint ?? config.entrypoint ?? null,
        Cmd: this.spec.cmd ?? config.cmd ?? null,
        User: this.spec.user ?? config.user ?? '',
        ...(this.spec.stopSignal || config.stopSignal ? { StopSignal: this.stopSignal } : {}),
      },
      HostConfig: { Memory: 512 * 2 ** 20, PidsLimit: 256, NetworkMode: this.spec.network ?? 'none' },
      Mounts: [],
    };
  }
}

/** Poll `done` every 10 ms until it holds (true) or `timeoutMs` passes (false). */
async function until(timeoutMs: number, done: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}
