import type { ReportResult } from './model.js';

/**
 * The headline figure of one check for one subject, across its scenarios: each
 * result's own figure (the check's, carried by the report; its verdict when the report
 * has none), the same figures counted together in the order first met ("recv ×5, lost
 * ×2"; "3, 143").
 */
export function keyFigure(results: readonly Pick<ReportResult, 'verdict' | 'figure'>[]): string {
  if (results.some((r) => r.verdict === 'error')) return 'error';
  const counts = new Map<string, number>();
  for (const r of results) {
    const figure = r.figure ?? r.verdict;
    counts.set(figure, (counts.get(figure) ?? 0) + 1);
  }
  return [...counts].map(([figure, n]) => (n > 1 ? `${figure} ×${n}` : figure)).join(', ');
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
      return rs.length ? `${mark(rs)} ${keyFigure(rs)}` : '';
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
