import { errorNotes, ScenarioError } from '../errors.js';
import { elapsedMs, monotonicMs } from '../observe/clock.js';
import type { PsSnapshot } from '../observe/rows.js';
import { restedOn, settledShape, settleReading, SettleTracker } from '../observe/settle.js';
import { atRest } from '../observe/signals.js';
import type { RunningContainer } from '../run/container.js';
import type { ContainerSpec, LogLine } from '../runtime/runtime.js';
import type { Observation, Readiness } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

/** Deadline of a wait for something that must happen: it only stops a hang. */
export const HANG_MS = 60_000;

/**
 * Start a container of a spec (a helper a check runs beside its subject). The engine
 * code is loaded when a scenario runs: reading a check's definition (a report does)
 * loads none.
 */
export async function startContainer(ctx: CheckContext, spec: ContainerSpec): Promise<RunningContainer> {
  const { RunningContainer } = await import('../run/container.js');
  return RunningContainer.start(ctx.runtime, spec);
}

/** Start a fresh container of the subject for one scenario of one check. */
export async function startSubject(
  ctx: CheckContext,
  subject: Subject,
  check: string,
  overrides: { env?: Record<string, string>; image?: string; scenario?: string | null; purpose?: string } = {},
): Promise<RunningContainer> {
  return startContainer(ctx, {
    image: overrides.image ?? subject.image,
    purpose: overrides.purpose ?? 'subject',
    labels: {
      'io.harness.check': check,
      'io.harness.subject': subject.name,
      ...(subject.variant ? { 'io.harness.variant': subject.variant } : {}),
      ...(overrides.scenario ? { 'io.harness.scenario': overrides.scenario } : {}),
    },
    env: { ...subject.env, ...overrides.env },
    ...(subject.entrypoint ? { entrypoint: subject.entrypoint } : {}),
    ...(subject.cmd ? { cmd: subject.cmd } : {}),
    ...(subject.user ? { user: subject.user } : {}),
    ...(subject.network ? { network: subject.network } : {}),
    init: subject.init,
    takeTurn: true,
    readyLog: subject.readyLog,
    startupTimeoutMs: subject.startupTimeoutMs,
  });
}

/** A subject's running container handed over by its owner (Subject.attachTo), to act on as it is. */
async function attachSubject(ctx: CheckContext, subject: Subject): Promise<RunningContainer> {
  const { RunningContainer } = await import('../run/container.js');
  return RunningContainer.attach(ctx.runtime, subject.attachTo as string, {
    image: subject.image,
    purpose: 'subject',
    labels: { 'io.harness.subject': subject.name },
  });
}

/** The least span of unchanged snapshots, and their spacing (the poll interval). */
const MIN_STABLE_SPAN_MS = 250;
/**
 * The least span the certify preflight watches an image's masks stay the same: it
 * looks longer, once, so what the scenarios then match is the lasting state. A process
 * supervisor starts its programs on its first tick, about a second after it is up.
 */
export const PREFLIGHT_SPAN_MS = 1500;
const SNAPSHOT_SPACING_MS = 100;
/**
 * How many times that span the snapshots must stay unchanged when a process is never
 * seen asleep (a program that keeps a core busy): long enough that a shell which had
 * yet to exec its program would have done so.
 */
const BUSY_SPAN_FACTOR = 4;

/** What the harness knew when it judged the subject ready, with the snapshot that showed it. */
export interface Ready extends Readiness {
  snapshot?: PsSnapshot;
  /** Without a ready line: the settled state without pids (see settledShape). */
  shape?: string;
}

/**
 * Wait until the subject can be acted on. With a ready line, the start already waited
 * for it. Without one, PID 1's and every process's signal masks are read through the
 * observer until they have stayed the same (the same processes, done exec'ing, the
 * same handlers) over at least two snapshots spanning as long as the engine took to
 * start this container, the last with every process asleep: a signal sent earlier
 * could reach a program that has not yet set up its handling, an orphan made earlier
 * could be reaped by a shell that has not yet exec'd the program, and the verdict would
 * depend on the machine's speed. A process that never sleeps (one that keeps a core
 * busy) is waited for over BUSY_SPAN_FACTOR times the span instead. When another
 * container of the subject settles first (subject.settled), showing the same processes
 * and masks twice in a row, every process asleep, is enough; the span alone decides
 * only once that one settled and this one has been running as long as it took.
 * `minSpanMs` raises the least span (the preflight's longer look).
 */
export async function awaitReady(
  ctx: CheckContext,
  subject: Subject,
  container: RunningContainer,
  t0: number,
  minSpanMs = MIN_STABLE_SPAN_MS,
): Promise<Ready> {
  if (subject.readyLog)
    return { how: 'ready-line', afterMs: elapsedMs(t0), restedOn: `its ready line ${String(subject.readyLog)}` };
  const timeoutMs = subject.startupTimeoutMs ?? HANG_MS;
  // The image's startup time counts from when it was running: the engine's own time to
  // create and start it (long on a busy machine) is not the image's.
  const overdue = () => monotonicMs() - container.runningAtMs >= timeoutMs;
  if (subject.readyPort) return awaitPort(ctx, subject.readyPort, container, t0, timeoutMs, overdue);
  const spanMs = Math.max(minSpanMs, container.startMs);

  // Short-lived children (a supervisor's shell loop, forked health checks) are left out
  // once their kind has come and gone; one older than twice the span counts again.
  const tracker = new SettleTracker(2 * spanMs);
  let key: string | undefined;
  let since = 0;
  let same = 0;
  let snapshots = 0;
  for (;;) {
    const snapshot = await beforeReady(container, () => container.ps(ctx.toolboxImage));
    snapshots++;
    const lasting = tracker.see(snapshot);
    const { key: current, asleep } = settleReading(snapshot, lasting);
    if (current !== key || !snapshot.processes.some((p) => p.pid === 1)) {
      key = current;
      since = snapshot.atMs;
      same = 1;
    } else same++;
    const upLongEnough = elapsedMs(container.started.atMs) >= (subject.minUpMs ?? 0);
    const runningMs = snapshot.atMs - container.runningAtMs;
    const settledMs = snapshot.atMs - since;
    const busy = !asleep;
    const neededMs = spanMs * (busy ? BUSY_SPAN_FACTOR : 1);
    const late = overdue();
    const shape = settledShape(lasting);
    const lead = subject.settled ? subject.settled.value : null;
    const asLead = same >= 2 && upLongEnough && !busy && !!lead && shape === lead.shape;
    // At the deadline, masks seen unchanged over at least the least span are settled:
    // the span asked for grows with the engine's latency (a busy machine), which is not
    // the image's doing, and the evidence says how long they were seen unchanged.
    const spanMayDecide = lead === null || (lead !== undefined && runningMs >= lead.afterMs);
    const bySpan =
      same >= 2 &&
      upLongEnough &&
      ((spanMayDecide && settledMs >= neededMs) || (late && settledMs >= MIN_STABLE_SPAN_MS));
    if (asLead || bySpan)
      return {
        how: 'signal-masks',
        afterMs: elapsedMs(t0),
        snapshots,
        snapshot,
        shape,
        restedOn: asLead
          ? restedOn(lasting, settledMs, tracker.churn(), true)
          : restedOn(lasting, settledMs, tracker.churn()) +
            (settledMs < neededMs
              ? ` (of the ${Math.round(neededMs)} ms asked for, as long as the startup timeout left)`
              : ''),
        ...(busy ? { busy } : {}),
      };
    if (late)
      throw new ScenarioError(
        `waited ${Math.round(timeoutMs / 1000)} s for the processes' signal masks to settle; still changing: ${current}`,
      );
    await new Promise((r) => setTimeout(r, SNAPSHOT_SPACING_MS));
  }
}

/** A reading taken before the container is ready: its failure, once the container has exited, is that exit. */
async function beforeReady<T>(container: RunningContainer, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const exited = await container.exitedYet();
    if (exited) throw new ScenarioError(`the container exited with code ${exited.exitCode} before it was ready`);
    throw err;
  }
}

/** Wait until the container listens on `port` (its own /proc/net, read through the observer). */
async function awaitPort(
  ctx: CheckContext,
  port: number,
  container: RunningContainer,
  t0: number,
  timeoutMs: number,
  overdue: () => boolean,
): Promise<Ready> {
  let snapshots = 0;
  for (;;) {
    const ports = await beforeReady(container, () => container.listeningPorts(ctx.toolboxImage));
    snapshots++;
    if (ports.has(port))
      return { how: 'ready-port', afterMs: elapsedMs(t0), snapshots, restedOn: `a socket listening on port ${port}` };
    const exited = await container.exitedYet();
    if (exited) throw new ScenarioError(`the container exited with code ${exited.exitCode} before it was ready`);
    if (overdue())
      throw new ScenarioError(
        `waited ${Math.round(timeoutMs / 1000)} s for it to listen on port ${port}; listening: ${[...ports].sort((a, b) => a - b).join(', ') || 'nothing'}`,
      );
    await new Promise((r) => setTimeout(r, SNAPSHOT_SPACING_MS));
  }
}

/**
 * A snapshot in which PID 1 is at rest (see atRest), taken again while it is not, so
 * its masks are its lasting disposition; null when it never is within a few tries (a
 * PID 1 that keeps running): its disposition is then not known.
 */
export async function restingSnapshot(
  ctx: CheckContext,
  container: RunningContainer,
  first: PsSnapshot,
  tries = 10,
): Promise<PsSnapshot | null> {
  let snapshot = first;
  for (let i = 0; ; i++) {
    const masks = snapshot.processes.find((p) => p.pid === 1)?.masks;
    if (!masks) return null;
    if (atRest(masks)) return snapshot;
    if (i >= tries) return null;
    await new Promise((r) => setTimeout(r, SNAPSHOT_SPACING_MS));
    snapshot = await container.ps(ctx.toolboxImage);
  }
}

/**
 * How long to watch for an effect that may never come (a signal that is dropped): a
 * floor, or twice what this container took to become ready, whichever is longer, so a
 * slower or busier machine is given time in proportion.
 */
export function quietWindowMs(ready: Readiness, floorMs = 1500): number {
  return Math.max(floorMs, Math.round(2 * ready.afterMs));
}

/** The fields every observation of a subject shares. */
export function base(subject: Subject, check: string, scenario: string | null, did: string) {
  return { check, subject: subject.name, variant: subject.variant, program: subject.program, scenario, did };
}

/**
 * Run one scenario in a fresh container: `body` does the acting and observing once the
 * subject is ready; the container is removed afterwards whatever happens, and an engine
 * failure becomes an `error` observation, never a thrown exception. With a limiter in
 * the context, the scenario holds one of its slots from start to removal.
 */
export function scenario<O extends object>(
  ctx: CheckContext,
  subject: Subject,
  meta: {
    check: string;
    scenario: string | null;
    did: string;
    env?: Record<string, string>;
    /** The image to run instead of the subject's, or how to get it (a build): a failure is this scenario's error. */
    image?: string | (() => Promise<string>);
    empty: O;
  },
  body: (
    container: RunningContainer,
    t0: number,
    ready: Ready,
    /** Waits until the subject's other containers are gone (see QuietStop); at once without one. */
    alone: () => Promise<{ waitedMs: number; alone: boolean }>,
  ) => Promise<Omit<Observation<O>, 'check' | 'subject' | 'variant' | 'program' | 'scenario' | 'did' | 'durationMs'>>,
): Promise<Observation<O>> {
  const run = async (): Promise<Observation<O>> => {
    let t0 = monotonicMs();
    let container: RunningContainer | undefined;
    const inFlight = subject.quietStop?.enter();
    const alone = async () =>
      subject.quietStop ? subject.quietStop.alone(inFlight, HANG_MS) : { waitedMs: 0, alone: true };
    try {
      const image = typeof meta.image === 'function' ? await meta.image() : meta.image;
      container = subject.attachTo
        ? await attachSubject(ctx, subject)
        : await startSubject(ctx, subject, meta.check, { ...meta, image });
      // Times count from when its start began, not from a wait for its turn to start; a
      // container handed over (started by its owner, perhaps long ago) from now.
      t0 = container.attached ? monotonicMs() : container.started.atMs;
      // The engine's own create-to-start time steers how many scenarios start next.
      const started = container;
      if (ctx.limiter?.observe)
        void started
          .engineLatencyMs()
          .then((ms) => ms !== null && ctx.limiter?.observe?.(ms))
          .catch(() => undefined);
      const ready = await awaitReady(ctx, subject, container, t0);
      const result = await body(container, t0, ready, alone);
      const readiness: Readiness = { how: ready.how, afterMs: ready.afterMs };
      if (ready.snapshots) readiness.snapshots = ready.snapshots;
      if (ready.busy) readiness.busy = true;
      if (ready.restedOn) readiness.restedOn = ready.restedOn;
      const shapeable = [
        ...(result.evidence.shapeable ?? []),
        ...(container.observedFromInside
          ? [
              "observed through a sidecar inside the container's own PID namespace, whose processes can signal or trace it",
            ]
          : []),
      ];
      const observation: Observation<O> = {
        ...base(subject, meta.check, meta.scenario, meta.did),
        ...result,
        evidence: { ...result.evidence, readiness, ...(shapeable.length ? { shapeable } : {}) },
        durationMs: elapsedMs(t0),
      };
      // The exit state when the check read one; else asked of the engine for a result that did not pass.
      const state = result.evidence.state;
      if (state ? state.oomKilled : observation.verdict !== 'pass')
        observation.reason += await oomNote(container, state?.oomKilled === true);
      await ctx.beforeRemove?.(container.id, observation).catch(() => undefined);
      return observation;
    } catch (err) {
      const notes = errorNotes(err);
      return {
        ...base(subject, meta.check, meta.scenario, meta.did),
        verdict: 'error',
        reason: `the scenario could not be carried out: ${(notes[0] ?? '').split('\n')[0]}${container ? await oomNote(container) : ''}`,
        observed: meta.empty,
        evidence: { notes },
        durationMs: elapsedMs(t0),
      };
    } finally {
      await container?.remove().catch(() => undefined);
      subject.quietStop?.leave(inFlight);
    }
  };
  return ctx.limiter ? ctx.limiter.run(run) : run();
}

/**
 * What a result that did not pass must also say when the kernel killed the program at
 * the container's memory limit: its exit code (137) is then no answer to the harness's
 * signals. Empty otherwise (or when the container is gone).
 */
async function oomNote(container: RunningContainer, known = false): Promise<string> {
  const info = await container.inspect().catch(() => undefined);
  if (!info || (!known && !info.State.OOMKilled)) return '';
  const limit = info.HostConfig.Memory ? ` (${Math.round(info.HostConfig.Memory / 2 ** 20)} MiB)` : '';
  return `; the kernel OOM-killed it at the container's memory limit${limit}`;
}

/**
 * Poll `probe` until it returns a value, or undefined once `timeoutMs` has passed (a
 * deadline: for what must happen, HANG_MS; for what may not, a quiet window).
 */
export async function waitUntil<T>(
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  pollMs = 250,
): Promise<T | undefined> {
  const deadline = monotonicMs() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (monotonicMs() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Poll the container's logs until `predicate` holds; `matched` false once `timeoutMs`
 * has passed (a deadline: for what must happen, HANG_MS; for what may not, a quiet
 * window).
 */
export async function waitForLogs(
  container: RunningContainer,
  predicate: (lines: LogLine[]) => boolean,
  timeoutMs: number,
  pollMs = 250,
): Promise<{ lines: LogLine[]; matched: boolean }> {
  let last: LogLine[] = [];
  const lines = await waitUntil(
    timeoutMs,
    async () => {
      last = await container.logs();
      return predicate(last) ? last : undefined;
    },
    pollMs,
  );
  return lines ? { lines, matched: true } : { lines: last, matched: false };
}
