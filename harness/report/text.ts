import { checkByName } from '../checks/battery.js';
import type { ReportResult } from './model.js';

/** The headline figure of one check for one subject, across its scenarios (the check's own). */
export function keyFigure(check: string, results: ReportResult[]): string {
  if (results.some((r) => r.verdict === 'error')) return 'error';
  const definition = checkByName(check);
  return definition ? definition.keyFigure(results) : results.map((r) => r.verdict).join('/');
}

/** A plain-text matrix: subjects as rows, checks as columns, key figure + verdict mark. */
export function renderTextMatrix(results: ReportResult[]): string {
  const subjects = [...new Set(results.map((r) => r.subject))];
  const checks = [...new Set(results.map((r) => r.check))];
  const mark = (rs: ReportResult[]) =>
    rs.some((r) => r.verdict === 'error') ? '!' : rs.every((r) => r.verdict === 'pass') ? '+' : '-';
  const rows = subjects.map((s) => [
    s,
    ...checks.map((c) => {
      const rs = results.filter((r) => r.subject === s && r.check === c);
      return rs.length ? `${mark(rs)} ${keyFigure(c, rs)}` : '';
    }),
  ]);
  const header = ['subject', ...checks];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
