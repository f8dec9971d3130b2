import { CHECKS, type AnyCheck } from './checks/battery.js';
import type { Observation } from './checks/observation.js';
import type { CheckContext, Subject } from './checks/subject.js';
import { expectedRow } from './checks/expected.js';
import { runSlowFirst } from './run/pool.js';
import { BadInputError } from './errors.js';
import { defaultPolicy } from './certify/policy.js';
import { judge } from './certify/gate.js';

export interface Unit {
  subject: Subject;
  check: AnyCheck;
  scenario: string | null;
}

/**
 * Every subject x check x scenario, in report order. A catalogue subject (the sample
 * program) gets each check's own scenarios; any other image the scenarios that work on
 * any image (the certification gate's), and only the checks that have them.
 */
export function plan(subjects: readonly Subject[], checks: readonly AnyCheck[] = CHECKS): Unit[] {
  return subjects.flatMap((subject) =>
    checks.flatMap((check) => {
      const scenarios = subject.variant ? check.scenarios : (check.certify?.scenarios ?? []);
      return scenarios.map((scenario) => ({ subject, check, scenario }));
    }),
  );
}

/** How a scenario runs on an image other than the sample program: as the gate runs it, judged by the default policy. */
async function runOnAnyImage(ctx: CheckContext, u: Unit): Promise<Observation<object>> {
  const policy = { ...defaultPolicy(), graceSeconds: ctx.graceSeconds };
  policy.maxStopSeconds = Math.min(policy.maxStopSeconds, ctx.graceSeconds);
  const certify = u.check.certify;
  const o = certify?.run
    ? await certify.run(ctx, u.subject, u.scenario, policy)
    : await u.check.run(ctx, u.subject, u.scenario);
  return { ...o, ...judge(o, policy) };
}

/** A shard of a run: the I-th of N deterministic shares (1-based). */
export interface Shard {
  index: number;
  total: number;
}

/** Parse `I/N`; a malformed one is a one-line error. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total)
    throw new BadInputError(`matrix: --shard must be I/N with 1 <= I <= N (e.g. 2/3), got "${text}"`);
  return { index, total };
}

/**
 * The shard's share of the plan: slow and fast scenarios are dealt out round-robin
 * separately, in plan order, so every shard gets its share of each and the N shards
 * together are the plan exactly once. The same plan always deals the same way.
 */
export function shardUnits(units: readonly Unit[], shard: Shard): Unit[] {
  let slow = 0;
  let fast = 0;
  return units.filter((u) => (u.check.slow ? slow++ : fast++) % shard.total === shard.index - 1);
}

/**
 * Run the battery: each scenario in its own fresh container, at most `concurrency` at
 * once, slow ones first, each with its subject's grace period. Each observation carries
 * its subject's expected row, when known: the one a config gives, else the catalogue's.
 * Once the engine stops answering (`session.lost`), no further scenario starts: the
 * observations of those that ran are returned.
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
        const grace = u.subject.graceSeconds;
        const c = grace ? { ...ctx, graceSeconds: grace } : ctx;
        const o: Observation<object> = u.subject.variant
          ? await u.check.run(c, u.subject, u.scenario)
          : await runOnAnyImage(c, u);
        // A scenario not carried out may be the engine gone: then no further one starts.
        if (o.verdict === 'error') await ctx.runtime.stillAnswers();
        const expected =
          u.subject.expected?.[u.check.name] ??
          expectedRow(u.check, o.variant, o.program, o.scenario, ctx.runtime.kind);
        return expected ? { ...o, expected } : o;
      },
    })),
    concurrency,
    onResult,
    () => !!ctx.runtime.lost,
  ).then((all) => all.filter((o) => o !== undefined));
}
