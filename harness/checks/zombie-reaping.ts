import { ScenarioError } from '../errors.js';
import { isZombie, type ProcessRow, type PsSnapshot } from '../observe/rows.js';
import type { RunningContainer } from '../run/container.js';
import { HANG_MS, scenario, waitUntil } from './common.js';
import { defineCheck } from './definition.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

export const ZOMBIE_SCENARIOS = ['program', 'injected'] as const;
export type ZombieScenario = (typeof ZOMBIE_SCENARIOS)[number];

export interface ZombieReapingObserved {
  /** Processes in state Z after the settle time. */
  zombies: number | null;
}

/**
 * zombie-reaping: an orphan is re-parented to PID 1 and exits; once it has exited (the
 * process table shows it as a zombie, or gone), count the processes in state Z.
 * "program": the sample program orphans a grandchild; "injected": a static helper
 * exec'd into the container does it, so any image can be tested.
 */
function zombieReaping(
  ctx: CheckContext,
  subject: Subject,
  how: ZombieScenario,
): Promise<Observation<ZombieReapingObserved>> {
  return scenario<ZombieReapingObserved>(
    ctx,
    subject,
    {
      check: 'zombie-reaping',
      scenario: how,
      did:
        how === 'program'
          ? `started ${subject.name} with the program orphaning a short-lived grandchild; ps once it had exited`
          : `started ${subject.name}, exec'd a static helper that orphans a short-lived child; ps once it had exited`,
      env: how === 'program' ? { APP_ZOMBIE: '1' } : {},
      empty: { zombies: null },
    },
    async (container, _t0, ready) => {
      let orphan: (p: ProcessRow) => boolean;
      let settledZombies: { zombies: ProcessRow[]; snapshots: PsSnapshot[] };
      if (how === 'injected') {
        // The helper's child, before its exec (still the helper's sh) and after (sleep).
        const { HELPER } = await import('../run/inject.js');
        orphan = (p) => p.args.includes(HELPER);
        settledZombies = await injectedOrphan(ctx, container, ready.snapshot, orphan);
      } else {
        // The program's grandchild: a copy of the program, re-parented to PID 1, that
        // is neither PID 1 nor the program (whose pid its ready line gives).
        const logs = await container.logs();
        const programPid = Number(logs.map((l) => /^ready pid=(\d+)/.exec(l.text)?.[1]).find(Boolean));
        orphan = (p) => p.ppid === 1 && p.pid !== 1 && p.pid !== programPid && /app\.py/.test(p.args);
        settledZombies = await leftZombies(ctx, container, orphan);
      }
      const { zombies, snapshots } = settledZombies;
      return {
        verdict: zombies.length === 0 ? 'pass' : 'fail',
        reason: zombies.length
          ? `${zombies.length} zombie(s) left: ${zombies.map((z) => `pid ${z.pid} (${z.comm}) parent ${z.ppid}`).join(', ')}`
          : 'the orphan was reaped',
        observed: { zombies: zombies.length },
        evidence: { ps: snapshots, logs: await container.logs() },
      };
    },
  );
}

/** PID 1 as a snapshot shows it: who adopts the orphan. */
const pid1Of = (snap: PsSnapshot | undefined): string | undefined => {
  const p = snap?.processes.find((row) => row.pid === 1);
  return p && `${p.comm} ${p.args}`;
};

/** Orphans made before the one judged, when PID 1 changed under them (it exec'd). */
const MAX_INJECTIONS = 3;

/**
 * Inject the zombie maker and wait for its orphan to exit. The orphan is judged only
 * when PID 1 was the same program from before the injection until then: a PID 1 that
 * exec'd meanwhile (a shell handing over to the program) was not the program that
 * will have to reap, so the orphan is made again under the new PID 1.
 */
async function injectedOrphan(
  ctx: CheckContext,
  container: RunningContainer,
  before: PsSnapshot | undefined,
  isOrphan: (p: ProcessRow) => boolean,
): Promise<{ zombies: ProcessRow[]; snapshots: PsSnapshot[] }> {
  let adopter = pid1Of(before);
  for (let attempt = 1; ; attempt++) {
    const { injectZombie } = await import('../run/inject.js');
    await injectZombie(ctx.toolboxImage, container);
    const result = await leftZombies(ctx, container, isOrphan);
    const now = pid1Of(result.snapshots.at(-1));
    if (adopter === undefined || now === adopter || attempt >= MAX_INJECTIONS) return result;
    adopter = now;
  }
}

/**
 * A process caught inside its exit: its memory, and with it its command line, already
 * released (ps shows its name in brackets, which in a container no kernel thread has,
 * or "<defunct>" or nothing when ps's later pass over /proc saw it die) but not yet a
 * zombie in the process list, and not asleep. Its args no longer say what it was, so it may
 * be the orphan about to become a zombie.
 */
const exiting = (p: ProcessRow): boolean =>
  (p.args.trim() === '' || /^\[[^\]]*\]/.test(p.args.trim())) && p.masks?.State !== 'S';

/**
 * Once every orphan (`isOrphan`) has exited (a zombie, or gone: reaped), the zombies
 * left: one caught inside its exit (see exiting) is waited for, and a zombie counts only
 * when it is still there once PID 1 has had a reaper's timer (REAPER_TIMER_MS) plus
 * twice the engine's latency to wait for it. Snapshots newest first.
 */
export async function leftZombies(
  ctx: CheckContext,
  container: RunningContainer,
  isOrphan: (p: ProcessRow) => boolean,
): Promise<{ zombies: ProcessRow[]; snapshots: PsSnapshot[] }> {
  const settled = await waitUntil(
    HANG_MS,
    async () => {
      const snap = await container.ps(ctx.toolboxImage);
      return snap.processes.some((p) => !isZombie(p) && (isOrphan(p) || exiting(p))) ? undefined : snap;
    },
    0,
  );
  if (!settled) throw new ScenarioError(`the orphan was still running ${HANG_MS / 1000} s after it was made`);
  // mutant: leaves PID 1's zombies uncounted
  // => const first = settled.processes.filter((p) => isZombie(p) && p.ppid !== 1);
  const first = settled.processes.filter(isZombie);
  if (!first.length) return { zombies: first, snapshots: [settled] };
  // A PID 1 that reaps on a timer (supervisord's poll loop, many event loops: up to a
  // second) is given that timer, plus twice the engine's latency measured on this
  // container, for the zombie to go: it is left only if still there after that.
  const windowMs = REAPER_TIMER_MS + 2 * Math.max(0, (await container.engineLatencyMs()) ?? 0);
  let again = await container.ps(ctx.toolboxImage);
  const left = (s: PsSnapshot) => s.processes.filter((p) => isZombie(p) && first.some((z) => z.pid === p.pid));
  while (left(again).length && again.atMs - settled.atMs < windowMs) {
    await new Promise((r) => setTimeout(r, 100));
    again = await container.ps(ctx.toolboxImage);
  }
  return { zombies: left(again), snapshots: [again, settled] };
}

/** The longest timer a reaping PID 1 is expected to reap on (supervisord polls every second). */
const REAPER_TIMER_MS = 1000;

export const zombieReapingCheck = defineCheck<ZombieReapingObserved>({
  name: 'zombie-reaping',
  description: 'whether an orphan that exits is reaped (by the program, or injected)',
  does: "the program orphans a child that exits; or a static busybox exec'd into the container does",
  observes: 'processes in state Z once the orphan has exited (seen in two snapshots in a row)',
  remedy:
    'Orphaned children re-parented to PID 1 were never reaped and stay as zombies. Run an init as PID 1 (tini, dumb-init, catatonit, docker run --init) or reap children in the program (waitpid on SIGCHLD).',
  fixedByInit: true,
  fromDockerfile: ({ facts: { pid1: p, script }, line }) =>
    p.kind === 'init'
      ? { predicted: 'pass', why: `${p.name} reaps orphans`, line }
      : {
          predicted: 'fail',
          why: `no init: ${p.kind === 'program' ? `${p.name || 'the program'}` : p.kind === 'script' && script?.execsLast ? 'the program the script execs' : 'the shell'} is PID 1 and inherits every orphan; few programs reap them`,
          line,
        },
  scenarios: ZOMBIE_SCENARIOS,
  slow: false,
  run: (ctx, subject, sc) => zombieReaping(ctx, subject, (sc ?? 'injected') as ZombieScenario),
  // bash and dash reap adopted orphans while they wait for their child; a Python
  // program as PID 1 never waits for children it did not start.
  expected: ({ facts }) => ({ zombies: facts.role === 'program' ? 1 : 0 }),
  figure: (o) => `${o.zombies ?? '?'} Z`,
  certify: {
    question: "a static helper exec'd into it orphans a child: is it reaped?",
    scenarios: ['injected'],
    expectation: (policy) => (policy.allowZombies ? 'zombies allowed' : 'no zombie left after an orphan exits'),
    judge: (o, policy) =>
      policy.allowZombies && o.verdict === 'fail'
        ? { verdict: 'pass', reason: `${o.reason} (allowed by the policy)` }
        : { verdict: o.verdict, reason: o.reason },
  },
});
