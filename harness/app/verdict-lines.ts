/**
 * The verdict block a user reads last: the answer, then one entry per failed check with
 * its reason, the policy's expectation and what to change, then the warnings in one line.
 * Printed after every detail (and after the Dockerfile cross-check), so it is the last
 * screen of a run whatever came before it.
 */
import { checkByName } from '../checks/battery.js';
import type { Observation } from '../checks/observation.js';
import { countTotals, shownVerdict } from '../report/model.js';

export interface VerdictInput {
  image: string;
  /** 'PASSES the policy', 'FAILS the policy: ...', or why it could not be certified. */
  summary: string;
  code: 0 | 1 | 2;
  observations: Observation<object>[];
  /** The policy's expectation for a check, when the observation does not carry it. */
  expectation: (check: string) => string;
  /** A fix for the image as a whole (from its Dockerfile), and whether it was verified. */
  fix?: { summary: string; verified?: string };
}

const labelOf = (o: Observation<object>): string => `${o.check}${o.scenario ? ` (${o.scenario})` : ''}`;

export function verdictLines(v: VerdictInput): string[] {
  const totals = countTotals(v.observations);
  const counts = v.observations.length
    ? ` [${totals.pass} pass, ${totals.fail} fail, ${totals.warning ?? 0} warning, ${totals.error} error]`
    : '';
  const head = v.code === 2 ? `${v.image} CANNOT BE CERTIFIED: ${v.summary}` : `${v.image} ${v.summary}`;
  const lines = [`${head}${counts}`];
  const failed = v.observations.filter((o) => ['fail', 'error'].includes(shownVerdict(o)));
  const remedies = new Set<string>();
  for (const o of failed) {
    lines.push(`  ${shownVerdict(o) === 'fail' ? 'FAIL ' : 'ERROR'} ${labelOf(o)}: ${o.reason}`);
    lines.push(`        expected: ${o.expectation ?? v.expectation(o.check)}`);
    // One remedy per check (a check failed in two scenarios has one thing to change).
    if (v.fix || remedies.has(o.check)) continue;
    remedies.add(o.check);
    const remedy = checkByName(o.check)?.remedy;
    if (remedy) lines.push(`        to fix: ${remedy}`);
  }
  if (v.fix && failed.length)
    lines.push(`  to fix: ${v.fix.summary}${v.fix.verified ? ` (verified: ${v.fix.verified})` : ' (the diff above)'}`);
  const warnings = v.observations.filter((o) => shownVerdict(o) === 'warning');
  if (warnings.length)
    lines.push(
      `  warn  ${warnings.map(labelOf).join(', ')}: failed, but the policy does not require ${warnings.length > 1 ? 'them' : 'it'}`,
    );
  return lines;
}
