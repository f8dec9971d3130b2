import { CHECKS, type CheckDefinition } from './checks/battery.js';
import type { Observation } from './checks/observation.js';
import type { CheckContext, Subject } from './checks/subject.js';
import { expectedRow } from './expected.js';
import { runPool } from './run/pool.js';

export interface Unit {
  subject: Subject;
  check: CheckDefinition;
  scenario: string | null;
}

/** Every subject x check x scenario, in report order. */
export function plan(subjects: readonly Subject[], checks: readonly CheckDefinition[] = CHECKS): Unit[] {
  return subjects.flatMap((subject) =>
    checks.flatMap((check) => check.scenarios.map((scenario) => ({ subject, check, scenario }))),
  );
}

/**
 * Run the battery: each scenario in its own fresh container, at most `concurrency` at
 * once. Each observation carries the expected row of its subject, when one is known.
 */
export async function runBattery(
  ctx: CheckContext,
  units: readonly Unit[],
  concurrency: number,
  onResult?: (o: Observation<object>, done: number, total: number) => void,
): Promise<Observation<object>[]> {
  // The slowest scenarios (those that wait out a grace period) go first, so the pool
  // does not end on a long tail.
  const order = units.map((u, i) => ({ u, i })).sort((a, b) => weight(b.u) - weight(a.u));
  const results = await runPool(
    order.map(({ u }) => async () => {
      const o = await u.check.run(ctx, u.subject, u.scenario);
      const expected = expectedRow(o.check, o.variant, o.program, o.scenario);
      return expected ? { ...o, expected } : o;
    }),
    concurrency,
    onResult,
  );
  const inOrder = new Array<Observation<object>>(units.length);
  order.forEach(({ i }, k) => {
    inOrder[i] = results[k] as Observation<object>;
  });
  return inOrder;
}

function weight(u: Unit): number {
  return ['graceful-stop', 'orphans-on-stop', 'stop-signal'].includes(u.check.name) ? 2 : 1;
}
