import {
  configOf,
  containerLogs,
  inspectContainer,
  killContainer,
  removeContainer,
  startContainer,
  stopContainer,
  containerProcesses,
  waitForExit,
  type ContainerConfig,
  type ContainerDetails,
  type ContainerSpec,
} from '../engine/containers.js';
import { containerEvents, type EngineEvent } from '../engine/events.js';
import { execInContainer, openExecStream, type ExecOptions, type ExecResult, type ExecStream } from '../engine/exec.js';
import type { LogLine } from '../engine/logs.js';
import type { Session } from '../engine/session.js';
import { ScenarioError } from '../errors.js';
import { engineTimeMs, engineTimeSet, monotonicMs } from '../observe/clock.js';
import { NodeObserver, Observer, type ContainerObserver, type PsSnapshot } from '../observe/ps.js';
import { engineStopTiming } from '../observe/stop-timing.js';

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
    private readonly session: Session,
    readonly id: string,
    readonly spec: ContainerSpec,
    readonly started: ActionTime,
    /** From the start request to running (and ready, with a ready line), host monotonic ms. */
    readonly startMs: number,
  ) {}

  /**
   * Create and start it; with `spec.takeTurn` (and no ready line) in its turn (see
   * Session.starting), `started` then being when its turn came.
   */
  static async start(session: Session, spec: ContainerSpec): Promise<RunningContainer> {
    const begin = async () => {
      const started = now();
      const id = await startContainer(session, spec);
      return new RunningContainer(session, id, spec, started, Math.round(monotonicMs() - started.atMs));
    };
    return spec.takeTurn && !spec.readyLog ? session.starting(begin) : begin();
  }

  /** When the engine had it running (its start call returned), host monotonic ms. */
  get runningAtMs(): number {
    return this.started.atMs + this.startMs;
  }

  /** Send `signal` to PID 1 through the engine. */
  async signal(signal: string): Promise<ActionTime & { delivered: boolean }> {
    const at = now();
    const delivered = await killContainer(this.session, this.id, signal);
    return { ...at, delivered };
  }

  /**
   * The engine's stop with a grace period; resolves once the container has exited.
   * `requestMs`: the host's monotonic time from the request to the engine's answer.
   */
  async stop(graceSeconds: number): Promise<{ requested: ActionTime; exited: ExitedContainer; requestMs: number }> {
    const requested = now();
    await stopContainer(this.session, this.id, graceSeconds);
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
  events(until: (events: EngineEvent[]) => boolean, what: string): Promise<EngineEvent[]> {
    return containerEvents(this.session, this.id, this.started.wallMs, until, HANG_MS, what);
  }

  /**
   * The engine's create-to-start time of this container, ms, from its own event clock
   * (null when the engine keeps no such events): how busy the engine is right now.
   */
  async engineLatencyMs(): Promise<number | null> {
    const events = await this.events((es) => es.some((e) => e.action === 'start'), 'its start event');
    return engineStopTiming(events).engineLatencyMs;
  }

  /** The exited stage once the container has exited, or null after `timeoutMs` (or once `stop` aborts). */
  async waitExit(timeoutMs: number, stop?: AbortSignal): Promise<ExitedContainer | null> {
    const code = await waitForExit(this.session, this.id, timeoutMs, stop);
    if (code === null) return null;
    return ExitedContainer.fromInspect(await inspectContainer(this.session, this.id));
  }

  /** Its processes as the engine lists them ("PID CMD", host pids), null once it is not running. */
  processes(): Promise<string[] | null> {
    return containerProcesses(this.session, this.id);
  }

  /** The exited stage if it has already exited, without waiting. */
  async exitedYet(): Promise<ExitedContainer | null> {
    return ExitedContainer.fromInspect(await inspectContainer(this.session, this.id));
  }

  exec(cmd: string[], timeoutMs: number, options: ExecOptions = {}): Promise<ExecResult> {
    return execInContainer(this.session, this.id, cmd, timeoutMs, options);
  }

  /** A long-lived command with its stdin open, its stdout read line by line (see ExecStream). */
  execStream(cmd: string[], onLine: (line: string) => void): Promise<ExecStream> {
    return openExecStream(this.session, this.id, cmd, onLine);
  }

  logs(): Promise<LogLine[]> {
    return containerLogs(this.session, this.id);
  }

  inspect(): Promise<ContainerDetails> {
    return inspectContainer(this.session, this.id);
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
    return this.sidecarUsed;
  }

  private sidecarUsed = false;

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
    this.observer ??= (async () => {
      const node = await NodeObserver.of(this.session, toolboxImage);
      const nodePid = (await this.inspect()).State.Pid;
      const sidecar = () => {
        this.sidecarUsed = true;
        return Observer.start(this.session, toolboxImage, this.id, this.spec.labels);
      };
      return node && nodePid > 0 ? node.watch(this.id, nodePid, sidecar) : await sidecar();
    })();
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
      removeContainer(this.session, this.id),
      observer?.then((o) => o.remove()).catch(() => undefined),
    ]);
  }
}
