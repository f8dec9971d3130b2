import { EXIT_SCENARIOS, exitCode, type ExitScenario } from './exit-code.js';
import { gracefulStop } from './graceful-stop.js';
import type { Observation } from './observation.js';
import { orphansOnStop } from './orphans-on-stop.js';
import { pid1 } from './pid1.js';
import { FORWARDED_SIGNALS, signalForwarding } from './signal-forwarding.js';
import { stopSignal } from './stop-signal.js';
import type { CheckContext, Subject } from './subject.js';
import { ZOMBIE_SCENARIOS, zombieReaping, type ZombieScenario } from './zombie-reaping.js';

/** One behaviour: its scenarios, and how to run one of them against a subject. */
export interface CheckDefinition {
  name: string;
  description: string;
  scenarios: readonly (string | null)[];
  run(ctx: CheckContext, subject: Subject, scenario: string | null): Promise<Observation<object>>;
}

export const CHECKS: readonly CheckDefinition[] = [
  {
    name: 'pid1',
    description: 'which program is PID 1, and the process tree',
    scenarios: [null],
    run: (ctx, s) => pid1(ctx, s),
  },
  {
    name: 'signal-forwarding',
    description: 'whether each signal sent to the container reaches the program',
    scenarios: FORWARDED_SIGNALS,
    run: (ctx, s, sc) => signalForwarding(ctx, s, sc ?? 'SIGTERM'),
  },
  {
    name: 'graceful-stop',
    description: 'stop with a grace period: exit code, duration, whether SIGKILL was needed',
    scenarios: [null],
    run: (ctx, s) => gracefulStop(ctx, s),
  },
  {
    name: 'zombie-reaping',
    description: 'whether an orphan that exits is reaped (by the program, or injected)',
    scenarios: ZOMBIE_SCENARIOS,
    run: (ctx, s, sc) => zombieReaping(ctx, s, (sc ?? 'injected') as ZombieScenario),
  },
  {
    name: 'exit-code',
    description: "whether the container's exit code carries the program's (N, or 128+S)",
    scenarios: EXIT_SCENARIOS,
    run: (ctx, s, sc) => exitCode(ctx, s, (sc ?? 'exit-3') as ExitScenario),
  },
  {
    name: 'orphans-on-stop',
    description: 'whether long-lived grandchildren are signalled on stop',
    scenarios: [null],
    run: (ctx, s) => orphansOnStop(ctx, s),
  },
  {
    name: 'stop-signal',
    description: 'with STOPSIGNAL SIGINT declared, which signal the program receives on stop',
    scenarios: ['SIGINT'],
    run: (ctx, s) => stopSignal(ctx, s),
  },
];

export function checkByName(name: string): CheckDefinition | undefined {
  return CHECKS.find((c) => c.name === name);
}
