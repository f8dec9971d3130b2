import type { LoadInfo } from '../run/load-info.js';
import type { Observation } from '../checks/observation.js';
import type { EngineInfo } from '../runtime/runtime.js';
import { countTotals, SCHEMA_VERSION, type CheckFace, type Report, type ReportResult } from './model.js';

/**
 * A check as a report is built with it (the check definitions fit this): what the
 * report then carries of it, so that rendering a report needs no check's code.
 */
export interface ReportedCheck extends Omit<CheckFace, 'scenarios'> {
  scenarios: readonly (string | null)[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  figure(observed: any, scenario: string | null): string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  stopBar?(observed: any): ReportResult['stop'];
}

/**
 * What a report says of the battery's checks: every one, not only those that ran, so
 * shards of one run agree on the order their merge puts results in.
 */
export function describeChecks(checks: readonly ReportedCheck[]): CheckFace[] {
  return checks.map(({ name, description, remedy, scenarios }) => ({
    name,
    description,
    remedy,
    scenarios: [...scenarios],
  }));
}

/** The figure and stop bar a report carries for one observation of `check`. */
export function reportedFigures(
  check: ReportedCheck | undefined,
  o: Pick<Observation<object>, 'verdict' | 'observed' | 'scenario'>,
): Pick<ReportResult, 'figure' | 'stop'> {
  const stop = check?.stopBar?.(o.observed);
  return {
    ...(check && o.verdict !== 'error' ? { figure: check.figure(o.observed, o.scenario) } : {}),
    ...(stop ? { stop } : {}),
  };
}

function toResult(o: Observation<object>, check: ReportedCheck | undefined): ReportResult {
  return {
    subject: o.subject,
    variant: o.variant ?? null,
    program: o.program ?? null,
    check: o.check,
    scenario: o.scenario,
    did: o.did,
    verdict: o.verdict,
    reason: o.reason,
    expected: (o.expected as Record<string, unknown> | undefined) ?? null,
    observed: o.observed as Record<string, unknown>,
    evidence: o.evidence,
    durationMs: o.durationMs,
    ...reportedFigures(check, o),
    ...(o.required !== undefined ? { required: o.required } : {}),
    ...(o.expectation !== undefined ? { expectation: o.expectation } : {}),
  };
}

export function buildReport(args: {
  kind: Report['kind'];
  engine: EngineInfo;
  startedAt: Date;
  finishedAt: Date;
  graceSeconds: number;
  concurrency: number;
  load?: LoadInfo;
  observations: Observation<object>[];
  /** The battery's checks (what the report says of them, and each result's figure). */
  checks: readonly ReportedCheck[];
}): Report {
  const byName = new Map(args.checks.map((c) => [c.name, c]));
  const results = args.observations.map((o) => toResult(o, byName.get(o.check)));
  const checks = describeChecks(args.checks);
  const totals = countTotals(results);
  const { kind, version, apiVersion, endpoint, cgroupVersion, runtime } = args.engine;
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: args.kind,
    engine: { kind, version, apiVersion, endpoint, cgroupVersion, ...(runtime ? { runtime } : {}) },
    startedAt: args.startedAt.toISOString(),
    finishedAt: args.finishedAt.toISOString(),
    graceSeconds: args.graceSeconds,
    concurrency: args.concurrency,
    ...(args.load ? { load: args.load } : {}),
    totals,
    results,
    checks,
  };
}
