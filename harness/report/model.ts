import type { Static } from '@sinclair/typebox';
import type { Verdict } from '../checks/observation.js';
import type { CertifiedImageSchema, CheckFaceSchema, ReportSchema, ResultSchema, TotalsSchema } from './schema.js';

export const SCHEMA_VERSION = 1;

/** One subject x check x scenario: the unit every report format renders. */
export type ReportResult = Static<typeof ResultSchema>;

export type Totals = Static<typeof TotalsSchema>;

/** What a report says of a check it ran (its name, description, remedy and scenarios). */
export type CheckFace = Static<typeof CheckFaceSchema>;

/** What a result reads as: a failure of a check the policy does not require is a warning. */
export const shownVerdict = (r: Pick<ReportResult, 'verdict' | 'required'>): Verdict | 'warning' =>
  r.verdict === 'fail' && r.required === false ? 'warning' : r.verdict;

/** Results counted by what they read as (warnings apart from failures, when there are any). */
export function countTotals(results: Pick<ReportResult, 'verdict' | 'required'>[]): Totals {
  const totals: Totals = { pass: 0, fail: 0, error: 0, skip: 0 };
  for (const r of results) {
    const v = shownVerdict(r);
    if (v === 'warning') totals.warning = (totals.warning ?? 0) + 1;
    else totals[v]++;
  }
  return totals;
}

/** One certified image's answer in a certify report. */
export type CertifiedImage = Static<typeof CertifiedImageSchema>;

/** A report (report.json): its schema is ReportSchema (schema.ts). */
export type Report = Static<typeof ReportSchema>;
