import { ScenarioError } from '../errors.js';
import { scenario } from './common.js';
import { defineCheck } from './definition.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';
import { leftZombies } from './zombie-reaping.js';

export interface ExecProbeZombiesObserved {
  /** Exec probes run (each timed out and was killed, leaving its child). */
  probes: number | null;
  /** Processes in state Z once every probe's child had exited. */
  zombies: number | null;
}

const PROBES = 3;
/** How long each probe's child outlives the probe, seconds. */
const CHILD_S = 0.3;
/**
 * A probe command as a manifest author writes one (`sh -c '...'`), cut off the way the
 * kubelet cuts off an exec probe that outlives its timeout: the exec'd shell is killed
 * and the work it started is orphaned to PID 1.
 */
const PROBE = ['sh', '-c', `sleep ${CHILD_S} & kill -KILL $$`];

/**
 * exec-probe-zombies: exec probes run in the container, not under PID 1, so whatever a
 * probe leaves behind (a timed-out probe's children, killed with it) is re-parented to
 * PID 1. Under a PID 1 that never waits for children it did not start, every such probe
 * leaves one zombie more: a pod with a 10 s exec probe that times out fills its pid
 * limit in hours.
 */
function execProbeZombies(ctx: CheckContext, subject: Subject): Promise<Observation<ExecProbeZombiesObserved>> {
  return scenario<ExecProbeZombiesObserved>(
    ctx,
    subject,
    {
      check: 'exec-probe-zombies',
      scenario: null,
      did: `started ${subject.name}, ran ${PROBES} exec probes (\`${PROBE.slice(0, 2).join(' ')} '...'\`) that timed out and were killed, leaving their children; ps once the children had exited`,
      empty: { probes: null, zombies: null },
    },
    async (container) => {
      for (let i = 0; i < PROBES; i++) {
        const r = await container.exec(PROBE, 60_000, { detach: true });
        if (r.timedOut) throw new ScenarioError(`exec probe ${i + 1} did not end within 60 s`);
        if (r.signal !== 'SIGKILL')
          throw new ScenarioError(
            `exec probe ${i + 1} ended with exit ${r.exitCode}, not killed: has the image a shell?`,
          );
      }
      // Its child before its exec (still the probe's sh) and after (sleep).
      const isChild = (p: { args: string }) => p.args.includes(`sleep ${CHILD_S}`);
      const { zombies, snapshots } = await leftZombies(ctx, container, isChild);
      return {
        verdict: zombies.length === 0 ? 'pass' : 'fail',
        reason: zombies.length
          ? `${zombies.length} zombie(s) after ${PROBES} killed exec probes: PID 1 (${snapshots[0]?.processes.find((p) => p.pid === 1)?.comm ?? '?'}) does not reap the children they leave`
          : `the children of ${PROBES} killed exec probes were reaped`,
        // mutant: counts at most one zombie however many probes left
        // => observed: { probes: PROBES, zombies: Math.min(zombies.length, 1) },
        observed: { probes: PROBES, zombies: zombies.length },
        evidence: { ps: snapshots, logs: await container.logs() },
      };
    },
  );
}

export const execProbeZombiesCheck = defineCheck<ExecProbeZombiesObserved>({
  name: 'exec-probe-zombies',
  description: "whether the children of exec probes killed on timeout are reaped (they are PID 1's to reap)",
  does: "3 exec probes (`sh -c '...'`) cut off the way the kubelet cuts off a timed-out probe: the exec'd shell is killed, its child orphaned",
  observes: 'processes in state Z once the children have exited: a PID 1 that does not reap gains one per probe',
  remedy: 'Commands run by exec probes leave zombies when PID 1 does not reap: run an init as PID 1.',
  scenarios: [null],
  slow: false,
  run: (ctx, subject) => execProbeZombies(ctx, subject),
  // The same reapers as for any orphan: shells waiting for their child and every init
  // reap them; a Python program as PID 1 leaves one zombie per probe.
  expected: ({ facts }) => ({ probes: PROBES, zombies: facts.role === 'program' ? PROBES : 0 }),
  figure: (o) => `${o.zombies ?? '?'} Z / ${o.probes ?? '?'} probes`,
});
