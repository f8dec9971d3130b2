import type { Evidence, Verdict } from '../checks/observation.js';
import type { EngineInfo } from '../runtime/runtime.js';
import type { FaceOffRow } from '../pod/faceoff.js';
import type { LoadInfo } from '../run/load-info.js';

export const SCHEMA_VERSION = 1;

/** One subject x check x scenario: the unit every report format renders. */
export interface ReportResult {
  subject: string;
  variant: string | null;
  program: string | null;
  check: string;
  scenario: string | null;
  did: string;
  verdict: Verdict;
  reason: string;
  expected: Record<string, unknown> | null;
  observed: Record<string, unknown>;
  evidence: Evidence;
  durationMs: number;
  /** certify: whether the policy requires the check (a failure of one it does not require is a warning). */
  required?: boolean;
  /** certify: what the policy expects of the check, in words. */
  expectation?: string;
  /** The engine kind it ran on: set only in a report merged across engines. */
  engine?: string;
}

export type Totals = Record<Verdict, number> & { warning?: number };

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
export interface CertifiedImage {
  image: string;
  verdict: 'pass' | 'fail' | 'cannot-certify';
  summary: string;
  /** How it started: ready after, the command PID 1 runs, its user and stop signal. */
  preflight?: { readyAfterMs: number; command: string[]; user: string; stopSignal: string };
  /** The Dockerfile cross-check: each check's prediction from the Dockerfile beside the observation. */
  dockerfile?: {
    path: string;
    pid1: string;
    checks: {
      check: string;
      predicted: 'pass' | 'fail' | 'unknown';
      why: string;
      line: number | null;
      observed: Verdict | null;
      agreement: 'agree' | 'runtime-disagrees' | 'runtime-does-better' | 'no-prediction' | 'not-run';
      says: string;
    }[];
    fix?: {
      summary: string;
      diff: string;
      runWithInit?: boolean;
      verified?: { image: string; verdict: 'pass' | 'fail' | 'cannot-certify'; summary: string };
    };
  };
}

export interface Report {
  schemaVersion: number;
  kind: 'matrix' | 'certify';
  engine: Pick<EngineInfo, 'kind' | 'version' | 'apiVersion' | 'endpoint' | 'cgroupVersion'>;
  startedAt: string;
  finishedAt: string;
  graceSeconds: number;
  concurrency: number;
  /** What the run ran with: containers in flight at once, and where that bound came from. */
  load?: LoadInfo;
  /** Results by verdict; `warning`: failures of checks the policy does not require (certify), counted apart from `fail`. */
  totals: Totals;
  results: ReportResult[];
  /** certify: the image certified, the policy applied, and the gate's answer. */
  image?: string;
  policy?: Record<string, unknown>;
  passed?: boolean;
  /** certify: each image's own answer (several images share one report). */
  images?: CertifiedImage[];
  /** The run stopped before every planned scenario ran (the engine stopped answering). */
  incomplete?: { reason: string; planned: number; ran: number };
  /** A shard's share of the scenarios (`harness matrix --shard I/N`). */
  shard?: { index: number; total: number };
  /** A merged report: the engines its results ran on, when more than one. */
  engines?: Report['engine'][];
  /** A merged report: the reports it was joined from. */
  mergedFrom?: { file: string; engine: string; results: number; shard?: { index: number; total: number } }[];
  /** matrix: the lifecycle face-off measured from the reference pods. */
  lifecycle?: { rows: FaceOffRow[] };
}
