import type { Verdict } from '../checks/observation.js';
import { mismatches } from '../images/expected-row.js';
import { shownVerdict, type Report, type ReportResult } from './model.js';
import { keyFigure } from './text.js';

/** One matrix cell: a subject's results for one check (all its scenarios). */
export interface Cell {
  id: string;
  subject: string;
  check: string;
  results: ReportResult[];
  verdict: Verdict | 'partial' | 'warning';
  figure: string;
  /** Fields where observed differs from the expected row, across scenarios. */
  unexpected: string[];
}

function cellVerdict(results: ReportResult[]): Cell['verdict'] {
  if (results.some((r) => r.verdict === 'error')) return 'error';
  if (results.every((r) => r.verdict === 'pass')) return 'pass';
  // Failed only where the policy does not require the check: a warning, not a failure.
  if (results.every((r) => r.verdict === 'pass' || shownVerdict(r) === 'warning')) return 'warning';
  if (results.every((r) => r.verdict === 'skip')) return 'skip';
  if (results.some((r) => r.verdict === 'pass')) return 'partial';
  return 'fail';
}

export function unexpectedOf(r: ReportResult): string[] {
  return r.expected ? mismatches(r.expected, r.observed) : [];
}

/**
 * A result's matrix row: its subject, and in a report merged across engines its
 * subject on that engine (the engine dimension: one row per subject and engine).
 */
export const rowOf = (report: Report, r: ReportResult): string =>
  report.engines ? `${r.subject} · ${r.engine ?? report.engine.kind}` : r.subject;

/** The engines a report's results ran on, named for a header. */
export const enginesLabel = (report: Report): string =>
  (report.engines ?? [report.engine]).map((e) => `${e.kind} ${e.version}`).join(', ');

/** Subjects (rows) and checks (columns) in report order, with every cell. */
export function matrixCells(report: Report): { subjects: string[]; checks: string[]; cells: Map<string, Cell> } {
  const subjects = [...new Set(report.results.map((r) => rowOf(report, r)))];
  const checks = [...new Set(report.results.map((r) => r.check))];
  const cells = new Map<string, Cell>();
  let n = 0;
  for (const subject of subjects) {
    for (const check of checks) {
      const results = report.results.filter((r) => rowOf(report, r) === subject && r.check === check);
      if (!results.length) continue;
      cells.set(`${subject}\u0000${check}`, {
        id: `c${n++}`,
        subject,
        check,
        results,
        verdict: cellVerdict(results),
        figure: keyFigure(results),
        unexpected: results.flatMap((r) => unexpectedOf(r).map((m) => `${r.scenario ? `${r.scenario}: ` : ''}${m}`)),
      });
    }
  }
  return { subjects, checks, cells };
}

export const cellAt = (cells: Map<string, Cell>, subject: string, check: string) =>
  cells.get(`${subject}\u0000${check}`);

/**
 * A certify report's answer: passes, fails, or could not be certified (then why: the
 * first such image's summary). A run that could not certify an image never reads as a
 * failure of the policy.
 */
export function certifyVerdict(report: Report): { verdict: 'pass' | 'fail' | 'cannot-certify'; why?: string } {
  const images = report.images ?? [];
  const cannot = images.find((i) => i.verdict === 'cannot-certify');
  if (cannot) return { verdict: 'cannot-certify', why: cannot.summary.replace(/^cannot be certified: /, '') };
  return { verdict: report.passed ? 'pass' : 'fail' };
}

/**
 * The grace period as a header says it: the one asked for, and the one actually used
 * where a stop got a longer one because the engine was too busy to judge it.
 */
export function graceLabel(report: Report): string {
  const asked = report.graceSeconds * 1000;
  const used = report.results
    .map((r) => r.evidence.timings?.graceMs)
    .filter((ms): ms is number => typeof ms === 'number' && ms > asked);
  if (!used.length) return `${report.graceSeconds} s`;
  const lo = Math.min(...used) / 1000;
  const hi = Math.max(...used) / 1000;
  return `${report.graceSeconds} s (${lo === hi ? `${lo} s` : `${lo}-${hi} s`} for ${used.length} stop${used.length > 1 ? 's' : ''}: the engine was too busy to judge ${report.graceSeconds} s)`;
}
