import { restingSnapshot, scenario } from './common.js';
import { ScenarioError } from '../errors.js';
import { defineCheck } from './definition.js';
import type { Observation } from './observation.js';
import type { ProcessRow } from '../observe/rows.js';
import { describeDisposition, disposition, type Disposition } from '../observe/signals.js';
import type { CheckContext, Subject } from './subject.js';

export interface Pid1Observed {
  /** Command name of PID 1 as ps shows it (what it calls itself). */
  pid1: string | null;
  /**
   * The file name of the program PID 1 runs, by the kernel (/proc/1/exe): what the
   * verdict rests on. Null when the observer could not read it; the verdict then rests
   * on the name alone, and the reason says so.
   */
  pid1Exe: string | null;
  processes: Pick<ProcessRow, 'pid' | 'ppid' | 'stat' | 'comm' | 'exe'>[] | null;
  /**
   * What PID 1 does with SIGTERM, from its signal masks: caught (a handler), blocked
   * (taken with sigwait, as inits do), ignored, or default, which the kernel drops for
   * PID 1: the load-independent reason a stop does or does not work.
   */
  sigterm: Disposition | null;
}

const INITS = new Set(['tini', 'tini-static', 'docker-init', 'dumb-init', 'catatonit']);
const SHELLS = new Set(['sh', 'dash', 'bash', 'ash', 'busybox']);

/** What a program is, by its name: an init, a shell (or a shell script), or the program itself. */
function kindOf(name: string): 'init' | 'shell' | 'program' {
  if (INITS.has(name)) return 'init';
  if (SHELLS.has(name) || /\.(sh|bash)$/.test(name)) return 'shell';
  return 'program';
}

/** pid1: which program is PID 1, and the whole process tree, seen from a ps sidecar. */
function pid1(ctx: CheckContext, subject: Subject): Promise<Observation<Pid1Observed>> {
  return scenario<Pid1Observed>(
    ctx,
    subject,
    {
      check: 'pid1',
      scenario: null,
      did: `started ${subject.name} and took a ps snapshot of its PID namespace`,
      empty: { pid1: null, pid1Exe: null, processes: null, sigterm: null },
    },
    async (container, _t0, ready) => {
      // After the ready line (printed once the program has forked what it starts at
      // boot and set its handlers), or the snapshot that showed the masks settled.
      const snapshot = ready.snapshot ?? (await container.ps(ctx.toolboxImage));
      const first = snapshot.processes.find((p) => p.pid === 1);
      if (!first) throw new ScenarioError('no PID 1 in the snapshot of its PID namespace');
      // Judged by the program it runs (the kernel's record), not by the name it gives itself.
      const name = first.exe ?? first.comm;
      const kind = kindOf(name);
      // The disposition from a reading of PID 1 at rest (not mid-way out of a signal wait).
      const resting = await restingSnapshot(ctx, container, snapshot);
      const masks = resting?.processes.find((p) => p.pid === 1)?.masks;
      const sigterm = masks ? disposition(masks, 'SIGTERM') : null;
      const observed: Pid1Observed = {
        // mutant: names the last process instead of PID 1
        // => pid1: snapshot.processes.at(-1)?.comm ?? first.comm,
        pid1: first.comm,
        pid1Exe: first.exe ?? null,
        processes: snapshot.processes.map(({ pid, ppid, stat, comm, exe }) => ({
          pid,
          ppid,
          stat,
          comm,
          ...(exe ? { exe } : {}),
        })),
        sigterm,
      };
      const handling = sigterm ? `; PID 1: ${describeDisposition(sigterm, 'SIGTERM', true)}` : '';
      const basis = !first.exe
        ? ' (judged by the name it gives itself: which program it runs could not be read)'
        : kindOf(first.comm) !== kind
          ? ` (it calls itself "${first.comm}")`
          : '';
      return {
        verdict: kind === 'shell' ? 'fail' : 'pass',
        reason:
          (kind === 'init'
            ? `an init (${name}) is PID 1`
            : kind === 'shell'
              ? `a shell (${name}) is PID 1: it does not forward signals`
              : `the program itself (${name}) is PID 1: it must handle signals and reap children itself`) +
          basis +
          handling,
        observed,
        evidence: {
          ...(first.exe ? {} : { shapeable: ['PID 1 judged by the name it gives itself'] }),
          ps: resting && resting !== snapshot ? [snapshot, resting] : [snapshot],
          logs: await container.logs(),
        },
      };
    },
  );
}

export const pid1Check = defineCheck<Pid1Observed>({
  name: 'pid1',
  description: 'which program is PID 1, the process tree, and what PID 1 does with SIGTERM',
  does: "start, `ps` from the node's observer",
  observes:
    "PID 1's command name, the process table, and what PID 1 does with SIGTERM from its signal masks: caught, blocked (taken with sigwait), ignored, or default (dropped by the kernel)",
  remedy:
    'A shell or a script as PID 1 keeps the signals the engine sends. Start the program in exec form (CMD ["prog", "arg"]), `exec` it from an entrypoint script, or put an init (tini, dumb-init, docker run --init) in front of it.',
  fixedByExecForm: true,
  fromDockerfile: ({ facts: { pid1: p, script }, line }) =>
    p.kind === 'shell'
      ? { predicted: 'fail', why: `a shell (${p.name}) is PID 1`, line }
      : p.kind === 'script' && script && !script.execsLast
        ? { predicted: 'fail', why: `the entrypoint script's shell stays PID 1`, line }
        : { predicted: 'pass', why: `${p.name || 'the program'} is PID 1`, line },
  scenarios: [null],
  slow: false,
  run: (ctx, subject) => pid1(ctx, subject),
  /**
   * What PID 1 does with SIGTERM, from its masks: the shells leave it at the default
   * (the kernel drops it for PID 1); bash with a trap catches it; Python catches it
   * only when the program installs a handler (aware); dumb-init catches every signal;
   * tini (and docker-init, which is tini) waits for it in sigtimedwait and catatonit
   * blocks it for its signalfd: both "blocked".
   */
  expected({ facts, program }) {
    const sigterm =
      facts.role === 'shell'
        ? 'default'
        : facts.role === 'program'
          ? program === 'aware'
            ? 'caught'
            : 'default'
          : facts.role === 'trap'
            ? 'caught'
            : facts.initSigterm;
    return { pid1: facts.pid1, sigterm };
  },
  figure(o) {
    // The kernel drops a default SIGTERM for PID 1.
    const term = o.sigterm === 'default' ? 'dropped' : o.sigterm;
    return `${o.pid1 ?? '?'}${term ? ` TERM ${term}` : ''}`;
  },
  certify: {
    question: 'which program is PID 1 (a shell as PID 1 is a warning)',
    scenarios: [null],
    expectation: () => 'PID 1 is not a shell',
  },
});
