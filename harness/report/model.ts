import type { Evidence, Verdict } from '../checks/observation.js';
import type { EngineInfo } from '../engine/connect.js';
import type { FaceOffRow } from '../pod/faceoff.js';
import type { LoadInfo } from '../run/load.js';

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
  /** The engine kind it ran on: set only in a report merged across engines. */
  engine?: string;
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
  totals: Record<Verdict, number>;
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
