import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { availableParallelism, hostname } from 'node:os';
import type { Logger } from '../log.js';
import { projectRoot } from '../paths.js';
import { parseEngineAddress } from './address.js';
import { engineAnswers, statusOf, type Engine } from './connect.js';
import { sshForwardArgs } from './ssh.js';
import { goneOnPodman, removeContainer } from './remove.js';
import { builtImageTag, LABEL, newRunId, processAlive, runLabels } from './labels.js';
import { ScenarioError } from '../errors.js';
import { EventLog } from './events.js';
import { forgetRun, recordedRuns, recordRun } from './runs.js';

/** Container starts one process has under way at once (see Session.starting). */
const STARTS_AT_ONCE = Math.max(1, availableParallelism());

/** At most `size` calls under way at once, the others in the order they asked. */
export class Turns {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(readonly size: number) {}

  async take<T>(fn: () => Promise<T>): Promise<T> {
    // A turn given back is handed straight to the next in line (active stays counted).
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * One run's view of the engine: every object it creates is labelled with the run id,
 * and `teardown` removes them all. A detached reaper process does the same if the
 * run's process dies without tearing down (Ctrl-C, crash, SIGKILL).
 */
export class Session {
  private reaper?: ChildProcess;
  /** Set once the run is interrupted: no new container or network is created after it. */
  private closing = false;
  private readonly creates = new Set<Promise<unknown>>();
  private removals: Promise<unknown> = Promise.resolve();
  private readonly startTurns = new Turns(STARTS_AT_ONCE);
  /** Set once the engine stopped answering during the run: the sentence that says so. */
  lost?: string;
  /** This process's live record of the run's container events (see EventLog). */
  readonly eventLog: EventLog;

  private constructor(
    readonly engine: Engine,
    readonly runId: string,
    /** The process whose death ends the run (its objects are then swept). */
    readonly ownerPid: number,
    private readonly log: Logger,
  ) {
    this.eventLog = new EventLog(this, `${LABEL.run}=${runId}`);
  }

  /** Open a new run: sweep what dead runs left, then start the reaper. */
  static async open(engine: Engine, log: Logger, options: { runId?: string; reaper?: boolean } = {}): Promise<Session> {
    const session = new Session(engine, options.runId ?? newRunId(), process.pid, log);
    // Recorded before anything is created: only recorded runs are ever swept.
    recordRun(session.runId, session.ownerPid);
    await sweepDeadRuns(engine, log);
    if (options.reaper !== false) session.startReaper();
    return session;
  }

  /** Join a run opened by another process (a test worker joining the suite's run). */
  static attach(engine: Engine, runId: string, ownerPid: number, log: Logger): Session {
    return new Session(engine, runId, ownerPid, log);
  }

  labels(purpose: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...runLabels(this.runId, this.ownerPid, purpose), ...extra };
  }

  private startReaper(): void {
    const script = join(projectRoot(), 'harness', 'engine', 'reaper.mjs');
    const child = spawn(process.execPath, [script, this.runId, String(this.ownerPid)], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, HARNESS_REAPER_ENGINE: JSON.stringify(reaperConnection(this.engine)) },
    });
    child.unref();
    this.reaper = child;
  }

  /**
   * Create an engine object for this run: refused once the run is interrupted, and
   * counted while in flight, so an interrupted run's teardown can wait for the creates
   * the engine is still answering instead of listing the run's objects before they exist.
   */
  async creating<T>(create: () => Promise<T>): Promise<T> {
    if (this.closing) throw new RunInterruptedError();
    // Subscribed before the first create, so the log holds every event of the run; a
    // create asked for before an interrupt is waited for (and removed) by its teardown.
    const p = this.eventLog.open().then(create);
    this.creates.add(p);
    try {
      return await p;
    } finally {
      this.creates.delete(p);
    }
  }

  /**
   * Create and start a container, at most one per core at a time in this process: a
   * runtime start is CPU work, and a start that waits for a core is what the
   * engine-latency rules read as a busy machine (a stretched grace period, a longer
   * settle span). Containers started one core at a time come up about as fast in
   * total, and each one in its own engine latency.
   */
  starting<T>(start: () => Promise<T>): Promise<T> {
    return this.startTurns.take(start);
  }

  /**
   * Tear down an interrupted run: no new creates, wait (briefly) for the ones in flight,
   * remove everything, and leave the reaper to sweep again once this process is gone
   * (a create the engine answers after that is still found).
   */
  async interrupt(): Promise<{ containers: number; networks: number }> {
    this.closing = true;
    const deadline = new Promise((r) => setTimeout(r, INTERRUPT_WAIT_MS).unref());
    await Promise.race([Promise.allSettled([...this.creates]), deadline]);
    return this.teardown({ keepReaper: true });
  }

  /**
   * Whether the engine still answers, asked when a scenario failed to be carried out:
   * once it did not, the run stops starting scenarios and `lost` says why.
   */
  async stillAnswers(): Promise<boolean> {
    if (this.lost) return false;
    if (await engineAnswers(this.engine)) return true;
    this.lost ??= `the ${this.engine.info.kind} engine at ${this.engine.info.endpoint} stopped answering during the run`;
    return false;
  }

  /** Remove every container and network of this run. Safe to call more than once. */
  async teardown(options: { keepReaper?: boolean } = {}): Promise<{ containers: number; networks: number }> {
    // One removal at a time (an interrupt's and the command's own may overlap): two
    // removals of one container at once leave Podman's store half-removed.
    const removal = this.removals.then(() => removeRunObjects(this.engine, { label: [`${LABEL.run}=${this.runId}`] }));
    this.removals = removal.catch(() => undefined);
    let removed: { containers: number; networks: number };
    try {
      removed = await removal;
    } catch (err) {
      if (!this.lost && (await this.stillAnswers())) throw err;
      // Nothing to remove them with: the next run (or `harness clean`) sweeps them.
      this.eventLog.close();
      this.log(
        `${this.lost}: the objects of run ${this.runId} are removed by the next run or \`harness clean\` once it answers again`,
      );
      return { containers: 0, networks: 0 };
    }
    this.eventLog.close();
    if (!options.keepReaper && !this.closing && this.reaper?.pid && processAlive(this.reaper.pid))
      this.reaper.kill('SIGTERM');
    // The owner's run is over with nothing left: its record goes (an interrupted one's
    // stays until a sweep finds its owner gone and nothing of it left).
    if (!this.closing && this.ownerPid === process.pid) forgetRun(this.runId);
    if (!this.closing) this.reaper = undefined;
    if (removed.containers || removed.networks)
      this.log(`removed ${removed.containers} container(s) and ${removed.networks} network(s) of run ${this.runId}`);
    return removed;
  }
}

/** How long an interrupted run waits for the creates in flight before it sweeps (the reaper sweeps again). */
const INTERRUPT_WAIT_MS = 10_000;

/** A create refused because the run is being torn down. */
export class RunInterruptedError extends ScenarioError {
  constructor() {
    super('the run was interrupted: no new containers are created');
  }
}

/**
 * How the reaper reaches the engine once the run's process is gone: an ssh engine
 * through a forward of its own (the run's forward dies with the run).
 */
function reaperConnection(engine: Engine): object {
  const given = parseEngineAddress(engine.info.endpoint);
  if (given.scheme === 'ssh') return { ssh: sshForwardArgs(given, '{local}') };
  const c = engine.connection;
  if (c.scheme === 'tcp') return { host: c.host, port: c.port, tls: c.tls };
  return { socketPath: c.scheme === 'unix' ? c.socketPath : undefined };
}

/**
 * Remove every container and network that carries the filters' labels. One that is
 * already gone (a reaper or a parallel teardown got there first) is not an error.
 */
export async function removeRunObjects(
  engine: Engine,
  filters: Record<string, string[]>,
): Promise<{ containers: number; networks: number }> {
  const docker = engine.docker;
  const containers = await ownContainers(engine, await listContainers(engine, filters));
  await Promise.all(containers.map((c) => removeContainer({ engine }, c.Id)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch((err: unknown) => {
          if (statusOf(err) !== 404) throw err;
        }),
    ),
  );
  return { containers: containers.length, networks: networks.length };
}

type Listed = { Id: string; ImageID?: string; Labels?: Record<string, string> };

/**
 * The listed containers whose run label was set when they were created, not inherited
 * from their image: a container someone started from an image that carries the
 * harness's labels (an image built FROM one of the harness's, or labelled to look like
 * one) is not the harness's to remove.
 */
async function ownContainers(engine: Engine, containers: Listed[]): Promise<Listed[]> {
  const imageRuns = new Map<string, Promise<string | undefined>>();
  const runOfImage = (id: string) => {
    let run = imageRuns.get(id);
    if (!run) {
      run = engine.docker
        .getImage(id)
        .inspect()
        .then(
          (i) => i.Config?.Labels?.[LABEL.run],
          () => undefined,
        );
      imageRuns.set(id, run);
    }
    return run;
  };
  const own = await Promise.all(
    containers.map(async (c) => {
      const run = c.Labels?.[LABEL.run];
      if (!run || !c.ImageID) return true;
      return (await runOfImage(c.ImageID)) !== run;
    }),
  );
  return containers.filter((_, i) => own[i]);
}

/**
 * The containers that carry the filters' labels. Podman 4.3's Docker-compatible list
 * fails as a whole ("container not known") while one container is stuck half-removed
 * (a container joined it during its removal); its own libpod list still answers, and
 * removing the joiner first lets the stuck one go.
 */
async function listContainers(engine: Engine, filters: Record<string, string[]>): Promise<Listed[]> {
  try {
    return await engine.docker.listContainers({ all: true, filters });
  } catch (err) {
    if (engine.info.kind !== 'podman' || !goneOnPodman(err)) throw err;
    return new Promise((resolve, reject) => {
      engine.docker.modem.dial(
        {
          path: '/v4.0.0/libpod/containers/json?',
          method: 'GET',
          options: { all: true, filters: JSON.stringify(filters) },
          statusCodes: { 200: true, 500: 'server error' },
        },
        (e: unknown, data: unknown) => (e ? reject(e) : resolve((data as Listed[]) ?? [])),
      );
    });
  }
}

/**
 * Remove the images the harness built, children first (sample images before the base
 * they were built on); one already gone is not an error. An image is the harness's when
 * it still carries the tag the harness gave it (`harness/<name>:<content hash>`, from
 * its own labels): an image built FROM one of them inherits the labels, not that tag,
 * and stays; so does a harness image another image is built on (the engine refuses).
 */
export async function removeBuiltImages(engine: Engine): Promise<number> {
  const list = await engine.docker.listImages({ filters: { label: [LABEL.image, LABEL.hash] } });
  const built = list.filter((img) =>
    (img.RepoTags ?? []).includes(builtImageTag(img.Labels?.[LABEL.image] ?? '', img.Labels?.[LABEL.hash] ?? '')),
  );
  let removed = 0;
  for (const img of built.sort((a, b) => b.Created - a.Created)) {
    try {
      await engine.docker.getImage(img.Id).remove({ force: true });
      removed++;
    } catch (err) {
      if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err;
    }
  }
  return removed;
}

/**
 * Remove objects left by runs of this host whose owning process is gone, and only of
 * runs the harness recorded (see runs.ts): a label alone proves nothing. Objects of
 * live runs (a parallel shard, another terminal) are left alone; the record of a dead
 * run with nothing left goes too.
 */
async function sweepDeadRuns(engine: Engine, log: Logger): Promise<number> {
  const recorded = recordedRuns();
  const filters = { label: [`${LABEL.managed}=true`, `${LABEL.host}=${hostname()}`] };
  const [containers, networks] = await Promise.all([
    engine.docker.listContainers({ all: true, filters }),
    engine.docker.listNetworks({ filters }),
  ]);
  const dead = new Set<string>();
  for (const labels of [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels ?? {})]) {
    const runId = labels[LABEL.run] ?? '';
    if (recorded.has(runId) && !processAlive(Number(labels[LABEL.pid]))) dead.add(runId);
  }
  let count = 0;
  for (const runId of dead) {
    const r = await removeRunObjects(engine, { label: [`${LABEL.run}=${runId}`] });
    count += r.containers + r.networks;
  }
  for (const [runId, pid] of recorded)
    if (!processAlive(pid) && (dead.has(runId) || !hasObjects(runId))) forgetRun(runId);
  if (count) log(`swept ${count} object(s) left by ${dead.size} interrupted run(s)`);
  return count;

  function hasObjects(runId: string): boolean {
    return [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels ?? {})].some(
      (l) => l[LABEL.run] === runId,
    );
  }
}

/**
 * Remove every container and network of the runs the harness recorded (`harness clean`),
 * live ones included; labels someone else wrote are not enough.
 */
export async function removeRecordedRuns(engine: Engine): Promise<{ containers: number; networks: number }> {
  const total = { containers: 0, networks: 0 };
  for (const [runId, pid] of recordedRuns()) {
    const r = await removeRunObjects(engine, { label: [`${LABEL.managed}=true`, `${LABEL.run}=${runId}`] });
    total.containers += r.containers;
    total.networks += r.networks;
    if (!processAlive(pid)) forgetRun(runId);
  }
  return total;
}

/** Ids of this run's containers that carry all of `labels` (any state). */
export async function runContainers(session: Session, labels: Record<string, string> = {}): Promise<string[]> {
  const label = [`${LABEL.run}=${session.runId}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  const list = await session.engine.docker.listContainers({ all: true, filters: { label } });
  return list.map((c) => c.Id);
}
