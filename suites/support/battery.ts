import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkByName } from '../../harness/checks/battery.js';
import type { Observation } from '../../harness/checks/observation.js';
import { expectedRow } from '../../harness/checks/expected.js';
import { mismatches } from '../../harness/images/expected-row.js';
import { PROGRAMS, VARIANTS } from '../../harness/images/catalogue.js';
import { plan, runBattery } from '../../harness/matrix.js';
import { catalogueSubject } from '../../harness/prepare.js';
import { harnessContext, imageOf } from './harness.js';
import { EventWatch, witness, type Witnessed } from './witness.js';

/** Grace period of every stop in the battery suites. */
export const G = 2;
/** Scenarios of one suite file queued at once; the run's shared limiter bounds what is in flight. */
const concurrencyFor = (units: number) => Math.max(2, units);

/**
 * Assert a stop's duration against the band its outcome calls for: the bands come from
 * the grace period and the engine latency measured on the same container (see
 * harness/observe/stop-timing.ts); the figures are the engine's own event times.
 */
export function expectStopTiming(killed: unknown, timings: Record<string, number> | undefined): void {
  expect(timings, 'stop timings').toBeDefined();
  const t = timings as Record<string, number>;
  const d = t.stopDurationMs as number;
  expect(typeof d).toBe('number');
  expect(t.engineLatencyMs, 'engine latency of the same container').toBeGreaterThan(0);
  if (killed) {
    expect(t.killAfterMs, 'SIGKILL no earlier than the grace period').toBeGreaterThanOrEqual(t.killedMinMs as number);
    expect(d).toBeGreaterThanOrEqual(t.killedMinMs as number);
    expect(d).toBeLessThanOrEqual(t.killedMaxMs as number);
  } else {
    expect(t.killAfterMs).toBeUndefined();
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThanOrEqual(t.gracefulMaxMs as number);
  }
}

/** What a mismatch message carries: the reason, the logs, and the engine's signals and timings. */
function evidenceText(o: Observation<Record<string, unknown>>): string {
  const lines = [o.reason, ...(o.evidence.logs ?? []).map((l) => `  ${l.stream}: ${l.text}`)];
  const events = (o.evidence.events ?? []).map(
    (e) => `${e.action}${e.attributes.signal ? ` ${e.attributes.signal}` : ''}`,
  );
  if (events.length) lines.push(`  engine events: ${events.join(', ')}`);
  if (o.evidence.timings) lines.push(`  timings: ${JSON.stringify(o.evidence.timings)}`);
  if (o.evidence.readiness) lines.push(`  readiness: ${JSON.stringify(o.evidence.readiness)}`);
  return lines.join('\n');
}

/**
 * The suite of one check: runs it over every catalogue subject (variant x program) and
 * every scenario, each in its own container, then asserts each subject's expected row
 * (the check's definition says why each row is what it is) and, through `oracle`, that
 * the observation agrees with an independent witness of the same container (the docker
 * CLI and the host's /proc, read just before the harness removed it).
 */
export function batterySuite(
  checkName: string,
  oracle: (o: Observation<Record<string, unknown>>, w: Witnessed) => void,
): void {
  const check = checkByName(checkName);
  if (!check) throw new Error(`no check ${checkName}`);
  const subjects = VARIANTS.flatMap((v) => PROGRAMS.map((p) => catalogueSubject(v, p, imageOf(v.name))));
  const results = new Map<string, Observation<Record<string, unknown>>>();
  const witnessed = new Map<string, Witnessed | Error>();
  const key = (subject: string, scenario: string | null) => `${subject}|${scenario ?? ''}`;
  let engineKind = 'docker';

  let watch: EventWatch | undefined;
  afterAll(() => watch?.stop());

  beforeAll(async () => {
    const endpoint = inject('harness').endpoint;
    const context = await harnessContext(G);
    watch = new EventWatch(endpoint, { 'io.harness.run': context.session.runId, 'io.harness.check': checkName });
    const ctx = {
      ...context,
      beforeRemove: async (id: string, o: Observation<object>) => {
        witnessed.set(
          key(o.subject, o.scenario),
          await witness(id, endpoint, Date.now() - o.durationMs, watch).catch((e: unknown) =>
            e instanceof Error ? e : new Error(String(e)),
          ),
        );
      },
    };
    const units = plan(subjects, [check]);
    engineKind = ctx.runtime.kind;
    const observations = await runBattery(ctx, units, concurrencyFor(units.length));
    for (const o of observations) results.set(key(o.subject, o.scenario), o as Observation<Record<string, unknown>>);
  });

  describe.each(subjects.map((s) => [s.name, s] as const))(`${checkName}: %s`, (name, subject) => {
    it.each(check.scenarios.map((sc) => [sc ?? 'default', sc] as const))('%s', (_label, scenario) => {
      const o = results.get(key(name, scenario));
      expect(o, 'observation').toBeDefined();
      if (!o) return;
      expect(o.verdict, o.reason).not.toBe('error');
      const expected = expectedRow(checkName, subject.variant, subject.program, scenario, engineKind);
      expect(expected, 'expected row').toBeDefined();
      // Soft: a disagreement with the witness below is reported as well.
      expect.soft(mismatches(expected ?? {}, o.observed), evidenceText(o)).toEqual([]);
      const w = witnessed.get(key(name, scenario));
      if (w instanceof Error) throw w;
      expect(w, 'the witness saw the container').toBeDefined();
      oracle(o, w as Witnessed);
    });
  });
}
