import { ScenarioError } from '../errors.js';
import { engineTimeMs, engineTimeSet, monotonicMs } from '../observe/clock.js';
import { engineStopTiming } from '../observe/stop-timing.js';
import type {
  ContainerDetails,
  ContainerObserver,
  ContainerRuntime,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  ExecStream,
  LogLine,
  PsSnapshot,
  RuntimeEvent,
} from '../runtime/runtime.js';
import { signalName } from '../signals.js';

/** Deadline for what the engine has to answer at once: it only stops a hang. */
const HANG_MS = 60_000;

/** When an action was taken: monotonic (for durations) and wall clock (to relate to engine times). */
export interface ActionTime {
  atMs: number;
  wallMs: number;
}

function now(): ActionTime {
  return { atMs: monotonicMs(), wallMs: Date.now() };
}

/** What the engine says about a container that has exited. Only this stage has an exit code. */
export class ExitedContainer {
  private constructor(
    readonly id: string,
    readonly exitCode: number,
    readonly oomKilled: boolean,
    /** Engine timestamps (RFC 3339 with nanoseconds). */
    readonly startedAt: string,
    readonly finishedAt: string,
  ) {}

  static fromInspect(info: ContainerDetails): ExitedContainer | null {
    if (info.State.Running || !engineTimeSet(info.State.FinishedAt)) return null;
    return new ExitedContainer(
      info.Id,
      info.State.ExitCode,
      info.State.OOMKilled,
      info.State.StartedAt,
      info.State.FinishedAt,
    );
  }

  /** The engine's own record of the run, as evidence. */
  state(): { startedAt: string; finishedAt: string; exitCode: number; oomKilled: boolean } {
    return {
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      exitCode: this.exitCode,
      oomKilled: this.oomKilled,
    };
  }

  get finishedAtMs(): number {
    return engineTimeMs(this.finishedAt);
  }
}

/** A container that was started and has not been seen to exit. */
export class RunningContainer {
  private observer?: Promise<ContainerObserver>;

  private constructor(
    readonly runtime: ContainerRuntime,
    readonly id: string,
    readonly spec: ContainerSpec,
    readonly started: ActionTime,
    /** From the start request to running (and ready, with a ready line), host monotonic ms. */
    readonly startMs: number,
    /** A container the harness did not start (handed over by its owner): never removed by it. */
    readonly attached = false,
  ) {}

  /**
   * A running container someone else started, to act on as on one of the harness's own;
   * `remove()` then removes only what the harness added (its observer), never it.
   */
  static async attach(runtime: ContainerRuntime, id: string, spec: ContainerSpec): Promise<RunningContainer> {
    const info = await runtime.inspect(id);
    if (!info.State.Running)
      throw new ScenarioError(`container ${id.slice(0, 12)} is not running (${info.State.Status})`);
    // Its start, as the engine recorded it: the engine's events about it are read from then on.
    const at = now();
    const startedWall = engineTimeSet(info.State.StartedAt) ? engineTimeMs(info.State.StartedAt) : at.wallMs;
    const started = { atMs: at.atMs - Math.max(0, at.wallMs - startedWall), wallMs: startedWall };
    return new RunningContainer(runtime, info.Id, spec, started, 0, true);
  }

  /**
   * Create and start it; with `spec.takeTurn` (and no ready line) in its turn (see
   * ContainerRuntime.starting), `started` then being when its turn came.
   */
  static async start(runtime: ContainerRuntime, spec: ContainerSpec): Promise<RunningContainer> {
    const begin = async () => {
      const started = now();
      const id = await runtime.start(spec);
      return new RunningContainer(runtime, id, spec, started, Math.round(monotonicMs() - started.atMs));
    };
    return spec.takeTurn && !spec.readyLog ? runtime.starting(begin) : begin();
  }

  /** When the engine had it running (its start call returned), host monotonic ms. */
  get runningAtMs(): number {
    return this.started.atMs + this.startMs;
  }

  /** Send `signal` to PID 1 through the engine. */
  async signal(signal: string): Promise<ActionTime & { delivered: boolean }> {
    const at = now();
    const delivered = await this.runtime.signal(this.id, signal);
    return { ...at, delivered };
  }

  /**
   * The engine's stop with a grace period; resolves once the container has exited.
   * `requestMs`: the host's monotonic time from the request to the engine's answer.
   */
  async stop(graceSeconds: number): Promise<{ requested: ActionTime; exited: ExitedContainer; requestMs: number }> {
    const requested = now();
    await this.runtime.stop(this.id, graceSeconds);
    const requestMs = Math.round((monotonicMs() - requested.atMs) * 10) / 10;
    // The engine answers the stop once the container has exited: this wait only
    // confirms it, and its deadline only stops a hang.
    const exited = await this.waitExit(HANG_MS);
    if (!exited)
      throw new ScenarioError(
        `container ${this.id.slice(0, 12)} still running ${HANG_MS / 1000} s after the engine answered its stop`,
      );
    return { requested, exited, requestMs };
  }

  /** The engine's events for this container, read until `until` holds (see containerEvents). */
  events(until: (events: RuntimeEvent[]) => boolean, what: string): Promise<RuntimeEvent[]> {
    return this.runtime.events(this.id, this.started.wallMs, until, HANG_MS, what);
  }

  /**
   * The engine's create-to-start time of this container, ms, from its own event clock
   * (null when the engine keeps no such events): how busy the engine is right now.
   */
  async engineLatencyMs(): Promise<number | null> {
    // Someone else's start, perhaps long ago: not the engine's latency now.
    if (this.attached) return null;
    const events = await this.events((es) => es.some((e) => e.action === 'start'), 'its start event');
    return engineStopTiming(events).engineLatencyMs;
  }

  /** The exited stage once the container has exited, or null after `timeoutMs` (or once `stop` aborts). */
  async waitExit(timeoutMs: number, stop?: AbortSignal): Promise<ExitedContainer | null> {
    const code = await this.runtime.wait(this.id, timeoutMs, stop);
    if (code === null) return null;
    return ExitedContainer.fromInspect(await this.runtime.inspect(this.id));
  }

  /** Its processes as the engine lists them ("PID CMD", host pids), null once it is not running. */
  processes(): Promise<string[] | null> {
    return this.runtime.top(this.id);
  }

  /** The exited stage if it has already exited, without waiting. */
  async exitedYet(): Promise<ExitedContainer | null> {
    return ExitedContainer.fromInspect(await this.runtime.inspect(this.id));
  }

  exec(cmd: string[], timeoutMs: number, options: ExecOptions = {}): Promise<ExecResult> {
    return this.runtime.exec(this.id, cmd, timeoutMs, options);
  }

  /** A long-lived command with its stdin open, its stdout read line by line (see ExecStream). */
  execStream(cmd: string[], onLine: (line: string) => void): Promise<ExecStream> {
    return this.runtime.execStream(this.id, cmd, onLine);
  }

  logs(): Promise<LogLine[]> {
    return this.runtime.logs(this.id);
  }

  inspect(): Promise<ContainerDetails> {
    return this.runtime.inspect(this.id);
  }

  /** Entrypoint, command, user and stop signal, as the engine resolved them. */
  async config(): Promise<ContainerConfig> {
    return configOf(await this.inspect());
  }

  /**
   * Whether any reading of it came through a sidecar in its own PID namespace (the node
   * could not read it), where its processes could signal or trace the observer.
   */
  get observedFromInside(): boolean {
    return this.observerNow?.fromInside() ?? false;
  }

  private observerNow?: ContainerObserver;

  /** A ps snapshot of the container's PID namespace, through its observer (see observedBy). */
  async ps(toolboxImage: string): Promise<PsSnapshot> {
    return (await this.observedBy(toolboxImage)).snapshot();
  }

  /** The TCP ports it listens on, through its observer (see observedBy). */
  async listeningPorts(toolboxImage: string): Promise<Set<number>> {
    return (await this.observedBy(toolboxImage)).listeningPorts();
  }

  /**
   * Its observer, chosen on first use: the run's node observer when it can see this
   * container's PID namespace, else a sidecar of its own (a failed start is tried
   * again next time).
   */
  private async observedBy(toolboxImage: string): Promise<ContainerObserver> {
    this.observer ??= this.runtime.observe(this.id, toolboxImage, this.spec.labels ?? {}).then((o) => {
      this.observerNow = o;
      return o;
    });
    try {
      return await this.observer;
    } catch (err) {
      this.observer = undefined;
      throw err;
    }
  }

  /** Remove the container (and its observer). */
  async remove(): Promise<void> {
    const observer = this.observer;
    this.observer = undefined;
    await Promise.all([
      this.attached ? undefined : this.runtime.remove(this.id),
      observer?.then((o) => o.remove()).catch(() => undefined),
    ]);
  }
}

/** How the container was configured to run, as the engine resolved it from the image and the spec. */
export interface ContainerConfig {
  entrypoint: string[];
  cmd: string[];
  /** Empty when the image sets no USER (root). */
  user: string;
  /** The canonical name of its stop signal ("SIGTERM" when the image declares none). */
  stopSignal: string;
  /** As declared ("15", "TERM", "SIGTERM"), or null. */
  declaredStopSignal: string | null;
}

export function configOf(info: ContainerDetails): ContainerConfig {
  const cfg = info.Config;
  const list = (v: string[] | string | null | undefined) => (v == null ? [] : Array.isArray(v) ? v : [v]);
  const declared = cfg.StopSignal || null;
  return {
    entrypoint: list(cfg.Entrypoint),
    cmd: list(cfg.Cmd),
    user: cfg.User ?? '',
    stopSignal: (declared && signalName(declared)) || declared || 'SIGTERM',
    declaredStopSignal: declared,
  };
}
