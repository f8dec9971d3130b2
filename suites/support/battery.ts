import { beforeAll, describe, expect, it } from 'vitest';
import { checkByName } from '../../harness/checks/battery.js';
import type { Observation } from '../../harness/checks/observation.js';
import { expectedRow, mismatches } from '../../harness/expected.js';
import { PROGRAMS, VARIANTS } from '../../harness/images/catalogue.js';
import { plan, runBattery } from '../../harness/matrix.js';
import { catalogueSubject } from '../../harness/prepare.js';
import { harnessContext, imageOf } from './harness.js';

/** Grace period of every stop in the battery suites. */
export const G = 2;
/** SIGKILL lands G after the stop signal, plus the engine's own bookkeeping. */
export const KILLED_BAND_MS = { min: G * 1000 - 50, max: G * 1000 + 1500 };
/** A prompt exit on the stop signal takes a small fraction of G. */
export const GRACEFUL_MAX_MS = (G * 1000) / 2;
/** Scenarios of one suite file at once (files run side by side too): more for big files. */
const concurrencyFor = (units: number) => Math.min(8, Math.max(2, Math.ceil(units / 20)));

/** Assert a stop's duration against the band its outcome calls for. */
export function expectStopTiming(killed: unknown, durationMs: unknown): void {
  expect(typeof durationMs).toBe('number');
  const d = durationMs as number;
  if (killed) {
    expect(d).toBeGreaterThanOrEqual(KILLED_BAND_MS.min);
    expect(d).toBeLessThanOrEqual(KILLED_BAND_MS.max);
  } else {
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThan(GRACEFUL_MAX_MS);
  }
}

/**
 * The suite of one check: runs it over every catalogue subject (variant x program) and
 * every scenario, each in its own container, then asserts each subject's expected row
 * (harness/expected.ts, which documents why each row is what it is) plus `extra`.
 */
export function batterySuite(checkName: string, extra?: (o: Observation<Record<string, unknown>>) => void): void {
  const check = checkByName(checkName);
  if (!check) throw new Error(`no check ${checkName}`);
  const subjects = VARIANTS.flatMap((v) => PROGRAMS.map((p) => catalogueSubject(v, p, imageOf(v.name))));
  const results = new Map<string, Observation<Record<string, unknown>>>();
  const key = (subject: string, scenario: string | null) => `${subject}|${scenario ?? ''}`;

  beforeAll(async () => {
    const ctx = await harnessContext(G);
    const units = plan(subjects, [check]);
    const observations = await runBattery(ctx, units, concurrencyFor(units.length));
    for (const o of observations) results.set(key(o.subject, o.scenario), o as Observation<Record<string, unknown>>);
  }, 600_000);

  describe.each(subjects.map((s) => [s.name, s] as const))(`${checkName}: %s`, (name, subject) => {
    it.each(check.scenarios.map((sc) => [sc ?? 'default', sc] as const))('%s', (_label, scenario) => {
      const o = results.get(key(name, scenario));
      expect(o, 'observation').toBeDefined();
      if (!o) return;
      expect(o.verdict, o.reason).not.toBe('error');
      const expected = expectedRow(checkName, subject.variant, subject.program, scenario);
      expect(expected, 'expected row').toBeDefined();
      const logs = (o.evidence.logs ?? []).map((l) => `  ${l.stream}: ${l.text}`).join('\n');
      expect(mismatches(expected ?? {}, o.observed), `${o.reason}\n${logs}`).toEqual([]);
      extra?.(o);
    });
  });
}
