import type { ReportResult } from './model.js';

/** The headline figure of one check for one subject, across its scenarios. */
export function keyFigure(check: string, results: ReportResult[]): string {
  const o = (r: ReportResult | undefined) => (r?.observed ?? {}) as Record<string, unknown>;
  if (results.some((r) => r.verdict === 'error')) return 'error';
  const first = o(results[0]);
  switch (check) {
    case 'pid1': {
      // PID 1's SIGTERM handling from its masks; the kernel drops a default one for PID 1.
      const term = first.sigterm === 'default' ? 'dropped' : first.sigterm;
      return `${String(first.pid1 ?? '?')}${term ? ` TERM ${String(term)}` : ''}`;
    }
    case 'signal-forwarding':
      return `${results.filter((r) => o(r).received === true).length}/${results.length} recv`;
    case 'graceful-stop':
    case 'orphans-on-stop': {
      const killed = first.killed ? ' KILL' : '';
      const body =
        check === 'graceful-stop'
          ? `${first.exitCode} in ${((Number(first.stopDurationMs) || 0) / 1000).toFixed(2)}s`
          : `${first.signalled}/${first.grandchildren} sig`;
      return `${body}${killed}`;
    }
    case 'zombie-reaping':
      return `${results.map((r) => o(r).zombies ?? '?').join('/')} Z`;
    case 'exit-code':
      return results.map((r) => (o(r).survived ? 'alive' : String(o(r).exitCode))).join(', ');
    case 'stop-signal':
      return `${first.received ?? 'none'}${first.killed ? ' KILL' : ''}`;
    default:
      return results.map((r) => r.verdict).join('/');
  }
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
