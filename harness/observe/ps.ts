import { execInContainer, type ExecResult } from '../engine/exec.js';
import { removeContainer, startHelper } from '../engine/containers.js';
import type { Session } from '../engine/session.js';
import { HarnessFaultError, ScenarioError } from '../errors.js';
import { SnapshotBatcher } from './batch.js';
import { monotonicMs } from './clock.js';
import { parseMaskLine, type SignalMasks } from './signals.js';

export interface ProcessRow {
  pid: number;
  ppid: number;
  /** ps STAT: first letter is the state (R, S, D, Z, T...). */
  stat: string;
  /** What the process calls itself (any process can set it). */
  comm: string;
  /**
   * The file name of the program it runs, from the kernel's /proc/<pid>/exe: what it
   * cannot rename without running another program. Absent when the observer may not
   * read it.
   */
  exe?: string;
  args: string;
  /** Signal masks from /proc/<pid>/status (absent for a process gone before they were read). */
  masks?: SignalMasks;
}

export interface PsSnapshot {
  /** Monotonic time the snapshot was taken. */
  atMs: number;
  processes: ProcessRow[];
}

/**
 * Parse the toolbox's ps-snapshot output, leaving out the sidecar's own processes: the
 * ps-snapshot run itself ("self") and those ps-snapshot named as the observer's by the
 * sidecar's mount namespace. Read from the node ("self 0") it names none, and nothing
 * is left out.
 */
export function parsePsSnapshot(text: string): ProcessRow[] {
  const lines = text.split('\n');
  const selfLine = lines.find((l) => l.startsWith('self '));
  const self = Number(selfLine?.slice(5));
  const sep = lines.indexOf('--');
  if (!selfLine || sep < 0) throw new HarnessFaultError('unexpected ps-snapshot output');
  const maskSep = lines.indexOf('==', sep);
  const masks = new Map<number, SignalMasks>();
  const exes = new Map<number, string>();
  // The observer sidecar's own processes (and the ps run's) are not the container's.
  const observers = new Set<number>();
  if (maskSep >= 0) {
    for (const line of lines.slice(maskSep + 1)) {
      const o = /^observer (\d+)$/.exec(line.trim());
      if (o) observers.add(Number(o[1]));
      const m = parseMaskLine(line);
      if (m) masks.set(m.pid, m.masks);
      const exe = /^\s*(\d+)\s.*\bExe=(\S+)/.exec(line);
      if (m && exe) exes.set(m.pid, exe[2] as string);
    }
  }
  const args = new Map<number, string>();
  for (const line of lines.slice(sep + 1, maskSep >= 0 ? maskSep : undefined)) {
    const m = /^\s*(\d+)\s?(.*)$/.exec(line);
    if (m) args.set(Number(m[1]), (m[2] ?? '').trim());
  }
  const rows: ProcessRow[] = [];
  for (const line of lines.slice(lines.indexOf(selfLine) + 1, sep)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ppid = Number(m[2]);
    // "self 0": read from outside the namespace, nothing of the reader's is in it.
    if ((self > 0 && (pid === self || ppid === self)) || observers.has(pid) || observers.has(ppid)) continue;
    const row: ProcessRow = { pid, ppid, stat: m[3] ?? '', comm: (m[4] ?? '').trim(), args: args.get(pid) ?? '' };
    const mask = masks.get(pid);
    if (mask) row.masks = mask;
    const exe = exes.get(pid);
    if (exe) row.exe = exe;
    rows.push(row);
  }
  return rows;
}

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

/** Ports in state LISTEN (0A) in /proc/net/tcp or tcp6 text ("sl local_address rem_address st ..."). */
export function listeningPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0] ?? '') || f[3] !== '0A') continue;
    const port = parseInt((f[1] ?? '').split(':')[1] ?? '', 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

/** Deadline of one snapshot: only stops a hang. */
const SNAPSHOT_HANG_MS = 60_000;

export const isZombie = (p: ProcessRow): boolean => p.stat.startsWith('Z');

/**
 * Whether every live process was asleep when read: waiting in the kernel for something
 * (S), stopped (T, t) or idle (I), and not caught moving while its masks were read. A
 * process that is runnable (R: it has work left, such as a shell that has yet to exec
 * its program) or in uninterruptible I/O (D: loading what it is about to run) may still
 * change who it is and what it handles.
 */
export function allAsleep(snapshot: PsSnapshot): boolean {
  return snapshot.processes
    .filter((p) => !isZombie(p) && p.masks?.State !== undefined)
    .every((p) => /^[STtI]$/.test(p.masks?.State ?? '') && p.masks?.Wchan !== '?');
}

/**
 * What settles a program's readiness to be signalled: the processes (pid, name, live or
 * not) and the signal handling each has set up. Two snapshots with the same key in a
 * row mean the program has stopped exec'ing and installing handlers.
 */
export function signalReadinessKey(snapshot: PsSnapshot): string {
  return snapshot.processes
    .filter((p) => !isZombie(p))
    .map((p) => `${p.pid}:${p.comm}:${p.masks ? `${p.masks.SigBlk}/${p.masks.SigIgn}/${p.masks.SigCgt}` : '?'}`)
    .join(' ');
}
