import type { LoadInfo } from '../run/load-info.js';
import type { Observation } from '../checks/observation.js';
import type { EngineInfo } from '../runtime/runtime.js';
import { countTotals, SCHEMA_VERSION, type Report, type ReportResult } from './model.js';

function toResult(o: Observation<object>): ReportResult {
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
}): Report {
  const results = args.observations.map(toResult);
  const totals = countTotals(results);
  const { kind, version, apiVersion, endpoint, cgroupVersion } = args.engine;
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: args.kind,
    engine: { kind, version, apiVersion, endpoint, cgroupVersion },
    startedAt: args.startedAt.toISOString(),
    finishedAt: args.finishedAt.toISOString(),
    graceSeconds: args.graceSeconds,
    concurrency: args.concurrency,
    ...(args.load ? { load: args.load } : {}),
    totals,
    results,
  };
}
