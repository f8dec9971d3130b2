import type { LogLine, PsSnapshot, RuntimeEvent as EngineEvent } from '../runtime/runtime.js';

export type Verdict = 'pass' | 'fail' | 'error' | 'skip';

/** What a check saw besides its headline figures, so a reader can verify the verdict. */
export interface Evidence {
  ps?: PsSnapshot[];
  logs?: LogLine[];
  exitCode?: number | null;
  /** Named durations and instants (monotonic ms) of the scenario. */
  timings?: Record<string, number>;
  /** Engine events of the container (kill signals, die, stop...). */
  events?: EngineEvent[];
  /** The engine's own state of the container at the end. */
  state?: { startedAt?: string; finishedAt?: string; exitCode?: number; oomKilled?: boolean };
  /** How the harness knew the program was ready before it acted. */
  readiness?: Readiness;
  /** Anything else worth keeping, one line each. */
  notes?: string[];
  /**
   * What the verdict rests on that the image under test could have shaped (observed
   * through a sidecar inside its own PID namespace; a program judged by the name it
   * gives itself). A check the policy requires does not pass on it alone.
   */
  shapeable?: string[];
}

/**
 * Ready to be acted on: the subject printed its ready line, or its processes and their
 * signal masks were the same in two snapshots in a row (done exec'ing, handlers set)
 * with every process asleep, or the same for longer while one kept running.
 */
export interface Readiness {
  how: 'ready-line' | 'ready-port' | 'signal-masks';
  /** From the start request to ready, ms (monotonic). */
  afterMs: number;
  /** Snapshots taken to see the masks settle. */
  snapshots?: number;
  /** A process was still running (R or D) when the masks were taken as settled. */
  busy?: boolean;
  /** What readiness rested on, in one sentence (and the short-lived processes left out). */
  restedOn?: string;
}

export interface Observation<O extends object = Record<string, unknown>> {
  check: string;
  /** variant/program for catalogue subjects, the image reference for certify. */
  subject: string;
  variant?: string;
  program?: string;
  /** The scenario within the check (a signal name), or null when the check has one. */
  scenario: string | null;
  /** What was done, in one sentence. */
  did: string;
  /** Good-practice judgement (the certify gate's default policy). */
  verdict: Verdict;
  /** One line saying why the verdict. */
  reason: string;
  /** The row the suites assert for this subject, when one is known. */
  expected?: Partial<O>;
  observed: O;
  evidence: Evidence;
  durationMs: number;
  /**
   * certify: whether the policy requires this check. A failure of a check it does not
   * require is a warning: it does not fail the gate.
   */
  required?: boolean;
  /** certify: what the policy expects of this check, in words. */
  expectation?: string;
}
