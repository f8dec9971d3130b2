import { CHECKS, type AnyCheck } from './checks/battery.js';
import type { Observation } from './checks/observation.js';
import type { CheckContext, Subject } from './checks/subject.js';
import { expectedRow } from './expected.js';
import { runSlowFirst } from './run/pool.js';

export interface Unit {
  subject: Subject;
  check: AnyCheck;
  scenario: string | null;
}

/** Every subject x check x scenario, in report order. */
export function plan(subjects: readonly Subject[], checks: readonly AnyCheck[] = CHECKS): Unit[] {
  return subjects.flatMap((subject) =>
    checks.flatMap((check) => check.scenarios.map((scenario) => ({ subject, check, scenario }))),
  );
}

/**
 * Run the battery: each scenario in its own fresh container, at most `concurrency` at
 * once, slow ones first. Each observation carries its subject's expected row, when known.
 */
export async function runBattery(
  ctx: CheckContext,
  units: readonly Unit[],
  concurrency: number,
  onResult?: (o: Observation<object>, done: number, total: number) => void,
): Promise<Observation<object>[]> {
  return runSlowFirst(
    units.map((u) => ({
      slow: u.check.slow,
      run: async () => {
        const o: Observation<object> = await u.check.run(ctx, u.subject, u.scenario);
        const expected = expectedRow(u.check, o.variant, o.program, o.scenario);
        return expected ? { ...o, expected } : o;
      },
    })),
    concurrency,
    onResult,
  );
}
