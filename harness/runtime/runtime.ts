import type { ContainerDetails, ContainerSpec } from '../engine/containers.js';
import type { EngineEvent } from '../engine/events.js';
import type { ExecOptions, ExecResult, ExecStream } from '../engine/exec.js';
import type { LogLine } from '../engine/logs.js';
import type { ImageSpec } from '../images/build.js';
import type { Logger } from '../log.js';
import type { ContainerObserver } from '../observe/ps.js';
import type { NetAnswer } from './net-prober.js';

/**
 * What the harness asks of a container runtime, in its own types: everything above
 * this folder (a scenario's containers, the checks, the certify gate, the pod emulator)
 * takes a ContainerRuntime and nothing else of the engine. Today's runtime is the
 * Docker/Podman engine (DockerRuntime, docker.ts); unit tests use the in-memory one
 * (FakeRuntime, fake.ts). A runtime creates only what it labels as the run's own, and
 * removes it when the run ends.
 */
export interface ContainerRuntime extends ContainerClient, ImageClient, NetworkClient {
  /** Which runtime: 'docker', 'podman' (the engine's kind), 'cri' or 'fake'. */
  readonly kind: string;
  /** What the report says of it when it is not the engine itself ("containerd 1.6.20 (CRI) at <socket>"). */
  readonly described?: string;
  /** The run's id: the names of the objects it creates carry it. */
  readonly runId: string;
  /** Set once the runtime stopped answering during the run: the sentence that says so. */
  readonly lost: string | undefined;
  /** Whether it still answers (once it did not, `lost` says why and stays set). */
  stillAnswers(): Promise<boolean>;
  /** Start, in the background, what observing containers will need (the first scenario then waits less). */
  prepare?(toolboxImage: string): void;
  /**
   * A pod sandbox of the runtime's own (the CRI's RunPodSandbox), where it has pods; a
   * runtime without (the engine) gets one the pod emulator builds of containers.
   */
  runPodSandbox?(req: SandboxRequest): Promise<PodSandbox>;
}

/** What a pod's sandbox is made from: the pod's identity and its namespaces. */
export interface SandboxRequest {
  name: string;
  namespace: string;
  uid: string;
  shareProcessNamespace: boolean;
  /** The harness's labels for the pod's objects. */
  labels: Record<string, string>;
}

/** The pod's network as the node reaches it: its IP, and probes sent to it from the node's side. */
export interface PodNetwork {
  readonly podIP: string;
  /** Run one net-probe from the node's side (see NetProber), bounded by its timeout plus 5 s. */
  probe(args: string[], timeoutMs: number): Promise<NetAnswer>;
  close(): void;
}

/** A pod's sandbox: the namespaces its containers join, and its network. */
export interface PodSandbox {
  readonly id: string;
  readonly podIP: string;
  readonly net: PodNetwork;
  /** The SandboxReady event's message: what holds the pod's namespaces, and its IP. */
  readonly described: string;
  /** The sandbox's start, request to ready, ms: the runtime's latency for this pod. */
  readonly latencyMs: number;
  /**
   * Whether a container's stop is one call with the grace period as its timeout (the
   * CRI's StopContainer, as the kubelet makes it), rather than a signal the emulator
   * sends and a SIGKILL when the grace period is over.
   */
  readonly stopsWithTimeout: boolean;
  /** What a container's spec needs to be created in this pod (`container` and its `attempt` name its log). */
  join(container: string, attempt: number): Partial<ContainerSpec>;
  /** Stop and remove it (its containers are removed before). */
  remove(): Promise<void>;
}

/** Containers: created and started from a spec, acted on and read by id. */
export interface ContainerClient {
  /**
   * Create and start a container; resolves with its id once it is running (and has
   * printed `spec.readyLog`, when set). A start that fails leaves nothing behind.
   */
  start(spec: ContainerSpec): Promise<string>;
  /** Run `start` in its turn: container starts one process has under way at once are bounded. */
  starting<T>(start: () => Promise<T>): Promise<T>;
  /** Send a signal to PID 1; false when it was no longer running. */
  signal(id: string, signal: string): Promise<boolean>;
  /** Stop signal, `graceSeconds`, SIGKILL; resolves once the runtime has answered (it has exited). */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Remove it (killed first if running); one already gone is fine. */
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerDetails>;
  /** Its exit code once it exits; null when still running after `timeoutMs` (or once `abort` aborts). */
  wait(id: string, timeoutMs: number, abort?: AbortSignal): Promise<number | null>;
  /** Its processes as the runtime lists them ("PID CMD"), null once it is not running. */
  top(id: string): Promise<string[] | null>;
  exec(id: string, cmd: string[], timeoutMs: number, options?: ExecOptions): Promise<ExecResult>;
  /** A long-lived command with its stdin open, its stdout read line by line. */
  execStream(id: string, cmd: string[], onLine: (line: string) => void): Promise<ExecStream>;
  /** Its log's last lines, with timestamps. */
  logs(id: string): Promise<LogLine[]>;
  /**
   * Its events from `sinceWallMs` on, read until `until` holds for what has been read;
   * `timeoutMs` only stops a hang, and the error names `what` was waited for.
   */
  events(
    id: string,
    sinceWallMs: number,
    until: (events: EngineEvent[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<EngineEvent[]>;
  /** Copy a tar archive into it at `path` (a stopped or shell-less one too). */
  copyArchive(id: string, tar: Buffer, path: string): Promise<void>;
  /**
   * What observes its PID namespace (process table with signal masks, listening ports),
   * with the toolbox image where the runtime needs a helper for it.
   */
  observe(id: string, toolboxImage: string, labels: Record<string, string>): Promise<ContainerObserver>;
}

/** Images: the runtime's store, read and added to. */
export interface ImageClient {
  /** The image's id, or undefined when the runtime has no such image. */
  imageId(ref: string): Promise<string | undefined>;
  /** Pull it, giving up after `timeoutMs`: null once it is there, else the one-line reason. */
  pull(ref: string, timeoutMs: number): Promise<string | null>;
  /** Build it (cached by its content hash; `log` shows the build's progress); resolves with its tag. */
  build(spec: ImageSpec, log?: Logger): Promise<string>;
  /** The bytes of one file of an image (nothing of the image runs). */
  readFile(image: string, path: string): Promise<Buffer>;
  /** Which of `paths` exist in an image (nothing of the image runs). */
  pathsIn(image: string, paths: readonly string[]): Promise<string[]>;
}

/** Networks the run creates: internal ones (no route off the machine). */
export interface NetworkClient {
  /** Create an internal network, labelled as the run's; resolves with its id. */
  createNetwork(name: string, purpose: string): Promise<string>;
  /** A container's address on a network ('' when it is not attached). */
  addressOn(id: string, network: string): Promise<string>;
  /** Remove a network; one already gone is fine. */
  removeNetwork(id: string): Promise<void>;
}

export type { EngineInfo } from '../engine/connect.js';
export type { ContainerDetails, ContainerSpec } from '../engine/containers.js';
export type { EngineEvent as RuntimeEvent } from '../engine/events.js';
export type { ExecOptions, ExecResult, ExecStream } from '../engine/exec.js';
export type { LogLine } from '../engine/logs.js';
export type { ContainerObserver } from '../observe/ps.js';
export type { PsSnapshot, ProcessRow } from '../observe/rows.js';
