import { extract } from 'tar-stream';
import {
  containerLogs,
  containerProcesses,
  inspectContainer,
  killContainer,
  pathsInImage,
  putArchive,
  readFileFromImage,
  removeContainer,
  startContainer,
  stopContainer,
  waitForExit,
  type ContainerSpec,
} from '../engine/containers.js';
import { containerEvents, type EngineEvent } from '../engine/events.js';
import { execInContainer, openExecStream, type ExecOptions } from '../engine/exec.js';
import { imageId, pullImage } from '../engine/images.js';
import { addressOn, createInternalNetwork, removeNetwork } from '../engine/networks.js';
import type { Session } from '../engine/session.js';
import { ensureImage, type ImageSpec } from '../images/build.js';
import { silentLogger, type Logger } from '../log.js';
import { NodeObserver, Observer, type ContainerObserver } from '../observe/ps.js';
import type { ContainerRuntime } from './runtime.js';

/**
 * The Docker (or Podman) engine as a ContainerRuntime: one run's Session (every object
 * labelled with the run, removed at its teardown) and the engine's own calls.
 */
export class DockerRuntime implements ContainerRuntime {
  private static readonly of = new WeakMap<Session, DockerRuntime>();

  private constructor(readonly session: Session) {}

  /** The runtime of a session (one per session: its observers are shared). */
  static over(session: Session): DockerRuntime {
    let runtime = DockerRuntime.of.get(session);
    if (!runtime) DockerRuntime.of.set(session, (runtime = new DockerRuntime(session)));
    return runtime;
  }

  get kind(): string {
    return this.session.engine.info.kind;
  }

  get runId(): string {
    return this.session.runId;
  }

  get lost(): string | undefined {
    return this.session.lost;
  }

  stillAnswers(): Promise<boolean> {
    return this.session.stillAnswers();
  }

  /** The run's node observer, started now (it is shared by every container observed). */
  prepare(toolboxImage: string): void {
    void NodeObserver.of(this.session, toolboxImage);
  }

  start(spec: ContainerSpec): Promise<string> {
    return startContainer(this.session, spec);
  }

  starting<T>(start: () => Promise<T>): Promise<T> {
    return this.session.starting(start);
  }

  signal(id: string, signal: string): Promise<boolean> {
    return killContainer(this.session, id, signal);
  }

  stop(id: string, graceSeconds: number): Promise<void> {
    return stopContainer(this.session, id, graceSeconds);
  }

  remove(id: string): Promise<void> {
    return removeContainer(this.session, id);
  }

  inspect(id: string) {
    return inspectContainer(this.session, id);
  }

  wait(id: string, timeoutMs: number, abort?: AbortSignal): Promise<number | null> {
    return waitForExit(this.session, id, timeoutMs, abort);
  }

  top(id: string): Promise<string[] | null> {
    return containerProcesses(this.session, id);
  }

  exec(id: string, cmd: string[], timeoutMs: number, options: ExecOptions = {}) {
    return execInContainer(this.session, id, cmd, timeoutMs, options);
  }

  execStream(id: string, cmd: string[], onLine: (line: string) => void) {
    return openExecStream(this.session, id, cmd, onLine);
  }

  logs(id: string) {
    return containerLogs(this.session, id);
  }

  events(
    id: string,
    sinceWallMs: number,
    until: (events: EngineEvent[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<EngineEvent[]> {
    return containerEvents(this.session, id, sinceWallMs, until, timeoutMs, what);
  }

  copyArchive(id: string, tar: Buffer, path: string): Promise<void> {
    return putArchive(this.session, id, tar, path);
  }

  /**
   * The run's node observer when the engine runs it and can see this container's PID
   * namespace, else a sidecar of its own in that namespace.
   */
  async observe(id: string, toolboxImage: string, labels: Record<string, string>): Promise<ContainerObserver> {
    const node = await NodeObserver.of(this.session, toolboxImage);
    const nodePid = (await this.inspect(id)).State.Pid;
    const sidecar = () => Observer.start(this.session, toolboxImage, id, labels);
    return node && nodePid > 0 ? node.watch(id, nodePid, sidecar) : await sidecar();
  }

  imageId(ref: string): Promise<string | undefined> {
    return imageId(this.session, ref);
  }

  pull(ref: string, timeoutMs: number): Promise<string | null> {
    return pullImage(this.session, ref, timeoutMs);
  }

  async build(spec: ImageSpec, log: Logger = silentLogger): Promise<string> {
    return (await ensureImage(this.session, spec, log)).tag;
  }

  async readFile(image: string, path: string): Promise<Buffer> {
    return singleFile(await readFileFromImage(this.session, image, path));
  }

  pathsIn(image: string, paths: readonly string[]): Promise<string[]> {
    return pathsInImage(this.session, image, paths);
  }

  createNetwork(name: string, purpose: string): Promise<string> {
    return createInternalNetwork(this.session, name, purpose);
  }

  addressOn(id: string, network: string): Promise<string> {
    return addressOn(this.session, id, network);
  }

  removeNetwork(id: string): Promise<void> {
    return removeNetwork(this.session, id);
  }
}

/** Unpack the single file of a `docker cp`-style archive. */
async function singleFile(archive: Buffer): Promise<Buffer> {
  const ex = extract();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      if (header.type === 'file') stream.on('data', (d: unknown) => chunks.push(d as Buffer));
      stream.on('end', next);
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(archive);
  await done;
  return Buffer.concat(chunks);
}
