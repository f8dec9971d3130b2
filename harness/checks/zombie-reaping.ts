import { isZombie } from '../observe/ps.js';
import { injectZombie } from '../run/inject.js';
import { scenario } from './common.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

export const ZOMBIE_SCENARIOS = ['program', 'injected'] as const;
export type ZombieScenario = (typeof ZOMBIE_SCENARIOS)[number];

export interface ZombieReapingObserved {
  /** Processes in state Z after the settle time. */
  zombies: number | null;
}

/** The orphan lives 0.2 s; PID 1 has this long after that to reap it. */
const SETTLE_MS = 1200;

/**
 * zombie-reaping: an orphan is re-parented to PID 1 and exits; after a settle time,
 * count the processes in state Z. "program": the sample program orphans a grandchild;
 * "injected": a static helper exec'd into the container does it, so any image can be
 * tested.
 */
export function zombieReaping(
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
          ? `started ${subject.name} with the program orphaning a short-lived grandchild; ps after ${SETTLE_MS} ms`
          : `started ${subject.name}, exec'd a static helper that orphans a short-lived child; ps after ${SETTLE_MS} ms`,
      env: how === 'program' ? { APP_ZOMBIE: '1' } : {},
      empty: { zombies: null },
    },
    async (container) => {
      if (how === 'injected') await injectZombie(ctx.session, ctx.toolboxImage, container);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const snapshot = await container.ps(ctx.toolboxImage);
      const zombies = snapshot.processes.filter(isZombie);
      return {
        verdict: zombies.length === 0 ? 'pass' : 'fail',
        reason: zombies.length
          ? `${zombies.length} zombie(s) left: ${zombies.map((z) => `pid ${z.pid} (${z.comm}) parent ${z.ppid}`).join(', ')}`
          : 'the orphan was reaped',
        observed: { zombies: zombies.length },
        evidence: { ps: [snapshot], logs: await container.logs() },
      };
    },
  );
}
