import { scenario } from './common.js';
import type { Observation } from './observation.js';
import type { ProcessRow } from '../observe/ps.js';
import type { CheckContext, Subject } from './subject.js';

export interface Pid1Observed {
  /** Command name of PID 1 as ps shows it. */
  pid1: string | null;
  processes: Pick<ProcessRow, 'pid' | 'ppid' | 'stat' | 'comm'>[] | null;
}

const INITS = new Set(['tini', 'tini-static', 'docker-init', 'dumb-init', 'catatonit']);
const SHELLS = new Set(['sh', 'dash', 'bash', 'ash', 'busybox']);
/** Settle time after the ready line, so children started at boot show up. */
const SETTLE_MS = 300;

/** pid1: which program is PID 1, and the whole process tree, seen from a ps sidecar. */
export function pid1(ctx: CheckContext, subject: Subject): Promise<Observation<Pid1Observed>> {
  return scenario<Pid1Observed>(
    ctx,
    subject,
    {
      check: 'pid1',
      scenario: null,
      did: `started ${subject.name} and took a ps snapshot of its PID namespace`,
      empty: { pid1: null, processes: null },
    },
    async (container) => {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const snapshot = await container.ps(ctx.toolboxImage);
      const first = snapshot.processes.find((p) => p.pid === 1);
      const name = first?.comm ?? null;
      const observed: Pid1Observed = {
        pid1: name,
        processes: snapshot.processes.map(({ pid, ppid, stat, comm }) => ({ pid, ppid, stat, comm })),
      };
      const isShell = !!name && (SHELLS.has(name) || /\.(sh|bash)$/.test(name));
      return {
        verdict: isShell ? 'fail' : 'pass',
        reason: !name
          ? 'no PID 1 in the snapshot'
          : INITS.has(name)
            ? `an init (${name}) is PID 1`
            : isShell
              ? `a shell (${name}) is PID 1: it has no SIGTERM handler and does not forward signals`
              : `the program itself (${name}) is PID 1: it must handle signals and reap children itself`,
        observed,
        evidence: { ps: [snapshot], logs: await container.logs() },
      };
    },
  );
}
