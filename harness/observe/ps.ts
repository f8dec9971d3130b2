import { execInContainer, type ExecResult } from '../engine/exec.js';
import { removeContainer, startHelper } from '../engine/containers.js';
import type { Session } from '../engine/session.js';
import { ScenarioError } from '../errors.js';
import { SnapshotBatcher } from './batch.js';
import { monotonicMs } from './clock.js';
import { listeningPorts, parsePsSnapshot, type PsSnapshot } from './rows.js';

export {
  allAsleep,
  isZombie,
  listeningPorts,
  parsePsSnapshot,
  signalReadinessKey,
  type ProcessRow,
  type PsSnapshot,
} from './rows.js';

/** What observes one container's PID namespace: its process table and listening ports. */
export interface ContainerObserver {
  /** A `ps` of the container's PID namespace, with every process's signal masks. */
  snapshot(): Promise<PsSnapshot>;
  /**
   * The TCP ports the container listens on, read from its PID 1's /proc/net/tcp and
   * tcp6 (its network namespace's sockets): no network and no tool inside it needed.
   */
  listeningPorts(): Promise<Set<number>>;
  /** Release what observing it took (a sidecar); nothing for the node's observer. */
  remove(): Promise<void>;
  /**
   * Whether any reading so far came through a helper inside the container's own PID
   * namespace (the node could not read it), where its processes could reach the helper.
   */
  fromInside(): boolean;
}

/** Exit status of ps-snapshot --ns-of when the namespace cannot be read (no permission). */
const NS_UNREADABLE = 4;

/**
 * The node's observer: one toolbox container per run in the node's PID namespace
 * (--pid host, with CAP_SYS_PTRACE to read the namespaces and masks of processes of any
 * user), asked with an exec for the process table of one container's PID namespace,
 * given its PID 1's pid on the node. One container for the whole run instead of a
 * sidecar per observed container, and nothing of the harness's inside the container's
 * namespace. When the engine will not run it (a node PID namespace is refused), each
 * container gets its own sidecar instead (see Observer).
 */
export class NodeObserver {
  private static readonly started = new WeakMap<Session, Promise<NodeObserver | null>>();

  private constructor(
    private readonly session: Session,
    readonly id: string,
  ) {}

  /** The session's node observer, started on first use; null when the engine refuses it. */
  static of(session: Session, toolboxImage: string): Promise<NodeObserver | null> {
    let observer = NodeObserver.started.get(session);
    if (!observer) {
      observer = startHelper(session, {
        image: toolboxImage,
        purpose: 'node-observer',
        pidMode: 'host',
        network: 'loopback',
        capAdd: ['SYS_PTRACE'],
        entrypoint: ['sleep', 'infinity'],
        cmd: [],
      }).then(
        (id) => new NodeObserver(session, id),
        () => null,
      );
      NodeObserver.started.set(session, observer);
    }
    return observer;
  }

  /**
   * The observer of one container whose PID 1 is `nodePid` on the node. Should the node
   * not be allowed to read that namespace, `fallback` (a sidecar) observes it instead.
   */
  watch(targetId: string, nodePid: number, fallback: () => Promise<ContainerObserver>): ContainerObserver {
    let sidecar: Promise<ContainerObserver> | undefined;
    const unreadable = (r: ExecResult) => r.exitCode === NS_UNREADABLE;
    // The PID namespace the first snapshot found: later ones must find the same, or the
    // pid was reused after the container exited (a host process, another container).
    let ns: string | undefined;
    const snapshot = async (): Promise<PsSnapshot> => {
      if (sidecar) return (await sidecar).snapshot();
      const { atMs, result: r } = await this.batch.snapshot(nodePid, ns);
      if (unreadable(r)) {
        // A sidecar that failed to start is tried again on the next snapshot.
        sidecar ??= fallback().catch((err: unknown) => {
          sidecar = undefined;
          throw err;
        });
        return (await sidecar).snapshot();
      }
      if (r.failed) throw snapshotFailed(targetId, 'the node observer', r);
      ns ??= /^ns (pid:\[\d+\])$/m.exec(r.stdout)?.[1];
      return snapshotOf(atMs, r.stdout, targetId);
    };
    return {
      snapshot,
      listeningPorts: async () => {
        if (!ns && !sidecar) await snapshot();
        const fallen = sidecar as Promise<ContainerObserver> | undefined;
        if (fallen) return (await fallen).listeningPorts();
        // Read only while the pid is still in the container's namespace.
        const same = `[ "$(readlink /proc/${nodePid}/ns/pid)" = '${ns ?? ''}' ] || exit 3`;
        return readPorts(
          targetId,
          (paths) => this.exec(['sh', '-c', `${same}; cat ${paths}; true`]),
          `/proc/${nodePid}`,
        );
      },
      remove: async () => {
        await (await sidecar?.catch(() => undefined))?.remove();
      },
      fromInside: () => !!sidecar,
    };
  }

  /** Snapshots asked for at the same time are read with one exec (see SnapshotBatcher). */
  private readonly batch = new SnapshotBatcher((targets) => this.exec(['ps-snapshot', '--each', ...targets]));

  private exec(cmd: string[]) {
    return execInContainer(this.session, this.id, cmd, SNAPSHOT_HANG_MS);
  }
}

/**
 * The observation sidecar of one container: a toolbox container joined to its PID
 * namespace (so images with no ps or shell can be observed), started once and asked
 * for each snapshot with an exec. Its own processes (those in its mount namespace,
 * which the observed container cannot enter) are left out of the snapshots. It dies with the container's PID 1 (the kernel ends the
 * namespace). Used where the node's observer cannot see the container.
 */
export class Observer implements ContainerObserver {
  private constructor(
    private readonly session: Session,
    readonly id: string,
    private readonly targetId: string,
  ) {}

  static async start(
    session: Session,
    toolboxImage: string,
    targetId: string,
    labels: Record<string, string> = {},
  ): Promise<Observer> {
    const id = await startHelper(session, {
      image: toolboxImage,
      purpose: 'observer',
      pidMode: `container:${targetId}`,
      network: 'loopback',
      entrypoint: ['sleep', 'infinity'],
      cmd: [],
      labels,
    });
    return new Observer(session, id, targetId);
  }

  async snapshot(): Promise<PsSnapshot> {
    const atMs = monotonicMs();
    const r = await execInContainer(this.session, this.id, ['ps-snapshot'], SNAPSHOT_HANG_MS);
    if (r.failed) throw snapshotFailed(this.targetId, 'its observer', r);
    return snapshotOf(atMs, r.stdout, this.targetId);
  }

  listeningPorts(): Promise<Set<number>> {
    return readPorts(
      this.targetId,
      (path) => execInContainer(this.session, this.id, ['sh', '-c', `cat ${path}; true`], SNAPSHOT_HANG_MS),
      '/proc/1',
    );
  }

  remove(): Promise<void> {
    return removeContainer(this.session, this.id);
  }

  fromInside(): boolean {
    return true;
  }
}

/**
 * A snapshot read at `atMs`. Its namespace always has a PID 1 while it exists: a table
 * without one is not a reading of that namespace, and never evidence of anything.
 */
function snapshotOf(atMs: number, stdout: string, targetId: string): PsSnapshot {
  const processes = parsePsSnapshot(stdout);
  if (!processes.some((p) => p.pid === 1))
    throw new ScenarioError(`the ps snapshot of ${targetId.slice(0, 12)} has no PID 1`, {
      detail: stdout.slice(0, 4096),
    });
  return { atMs, processes };
}

function snapshotFailed(targetId: string, through: string, r: ExecResult): ScenarioError {
  return new ScenarioError(
    `ps of ${targetId.slice(0, 12)} through ${through} ${r.timedOut ? `did not finish within ${SNAPSHOT_HANG_MS / 1000} s` : `exited ${r.exitCode}`}`,
    { detail: `${r.stdout}\n${r.stderr}`.trim() },
  );
}

async function readPorts(
  targetId: string,
  cat: (paths: string) => Promise<ExecResult>,
  proc: string,
): Promise<Set<number>> {
  const r = await cat(`${proc}/net/tcp ${proc}/net/tcp6 2>/dev/null`);
  if (r.failed)
    throw new ScenarioError(`the listening ports of ${targetId.slice(0, 12)} could not be read through its observer`);
  return listeningPorts(r.stdout);
}

/** Deadline of one snapshot: only stops a hang. */
const SNAPSHOT_HANG_MS = 60_000;
