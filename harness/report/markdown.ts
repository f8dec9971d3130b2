import { describeLoad } from '../run/load-info.js';
import { cellAt, certifyVerdict, enginesLabel, graceLabel, matrixCells } from './cells.js';
import { engineDifferences } from './merge.js';
import { describeChange, type CellChange } from './diff.js';
import { escapeMarkdown as md } from '../text.js';
import { shownVerdict, type Report, type ReportResult } from './model.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', partial: '🟡', error: '⚠️', skip: '⏭️', warning: '🔸' };

/** A compact Markdown matrix and the list of failures, fit for a pull-request comment. */
export function renderMarkdown(report: Report, options: { changes?: CellChange[] } = {}): string {
  const { subjects, checks, cells } = matrixCells(report);
  const t = report.totals;
  const out: string[] = [];
  const answer = report.kind === 'certify' ? certifyVerdict(report) : undefined;
  const image = `Certification of \`${md(report.image ?? (report.images ?? []).map((i) => i.image).join(', '))}\``;
  const title = !answer
    ? 'Container behaviour face-off'
    : answer.verdict === 'cannot-certify'
      ? `${image}: ⚠️ could not be certified: ${md(answer.why ?? '')}`
      : `${image}: ${answer.verdict === 'pass' ? '✅ passes' : '❌ fails'} the policy`;
  out.push(`### ${title}`, '');
  out.push(
    `${md(enginesLabel(report))} · ${md(report.startedAt)} · grace ${md(graceLabel(report))} · ${md(report.load ? describeLoad(report.load) : `${report.concurrency} at a time`)} · ${report.results.length} results: ${t.pass} pass, ${t.fail} fail${t.warning ? `, ${t.warning} warning` : ''}, ${t.error} error, ${t.skip} skip`,
    '',
  );
  if (report.incomplete)
    out.push(
      `> ⚠️ **Incomplete**: ${md(report.incomplete.reason)}; ${report.incomplete.ran} of ${report.incomplete.planned} scenarios ran.`,
      '',
    );
  if (options.changes) {
    out.push(`#### Changes against the baseline (${options.changes.length})`, '');
    out.push(
      ...(options.changes.length
        ? options.changes.map((c) => `- ${c.kind === 'regression' ? '🔻 ' : ''}${md(describeChange(c))}`)
        : ['No cell changed.']),
      '',
    );
  }
  // No table without a column: a run where no check ran says so instead.
  if (checks.length) {
    out.push(`| subject | ${checks.map(md).join(' | ')} |`, `|---|${checks.map(() => '---').join('|')}|`);
    for (const s of subjects) {
      const row = checks.map((c) => {
        const cell = cellAt(cells, s, c);
        return cell ? `${ICON[cell.verdict] ?? ''} ${md(cell.figure)}${cell.unexpected.length ? ' ≠' : ''}` : '';
      });
      out.push(`| ${md(s)} | ${row.join(' | ')} |`);
    }
    out.push(
      '',
      '✅ pass · 🟡 some scenarios fail · ❌ fail · ⚠️ could not be run · ≠ differs from the expected row',
      '',
    );
  } else out.push('No check ran.', '');
  const differences = engineDifferences(report);
  if (report.engines) {
    const engines = report.engines.map((e) => e.kind);
    out.push(`#### ${engines.map(md).join(' vs ')}: cells that differ (${differences.length})`, '');
    if (differences.length) {
      out.push(
        `| subject | check | scenario | ${engines.map(md).join(' | ')} | why |`,
        `|---|---|---|${engines.map(() => '---|').join('')}---|`,
      );
      for (const d of differences)
        out.push(
          `| ${md(d.subject)} | ${md(d.check)} | ${md(d.scenario ?? '')} | ${engines
            .map((e) => {
              const x = d.by[e];
              return x ? `${ICON[x.verdict] ?? ''} ${md(x.figure)}` : 'not run';
            })
            .join(' | ')} | ${md(d.note ?? '')} |`,
        );
    } else out.push('Every cell agrees.');
    out.push('');
  }
  // One line per differing field, across every cell.
  const unexpected = [...cells.values()].flatMap((c) =>
    c.unexpected.map((u) => `- ${md(c.subject)} · ${md(c.check)}: ${md(u)}`),
  );
  if (unexpected.length) {
    out.push(`#### Differs from the expected row (${unexpected.length})`, '', ...unexpected);
    out.push('');
  }
  if (report.lifecycle?.rows.length) {
    out.push('#### postStart hook vs init container vs startup probe (measured)', '');
    out.push('| | same container? | run guarantee | on failure | how often |', '|---|---|---|---|---|');
    for (const r of report.lifecycle.rows)
      out.push(
        `| ${md(r.mechanism)} | ${md(r.sameContainer)} | ${md(r.runGuarantee)} | ${md(r.onFailure)} | ${md(r.count)} |`,
      );
    out.push('');
  }
  if (!report.results.length) return `${out.join('\n')}\n`;
  const line = (r: ReportResult) =>
    `- ${ICON[shownVerdict(r)]} **${md(r.subject)}** · ${md(r.check)}${r.scenario ? ` · ${md(r.scenario)}` : ''}: ${md(r.reason)}${r.expectation ? ` (expected: ${md(r.expectation)})` : ''}`;
  const section = (heading: string, rs: ReportResult[], none: string | null) => {
    if (!rs.length && none === null) return;
    out.push(`#### ${heading} (${rs.length})`, '');
    const lines = rs.map(line);
    if (lines.length > 15) out.push('<details><summary>Show all</summary>', '', ...lines, '', '</details>');
    else out.push(...(lines.length ? lines : [none ?? '']));
    out.push('');
  };
  section(
    'Failures',
    report.results.filter((r) => ['fail', 'error'].includes(shownVerdict(r))),
    'None.',
  );
  section(
    'Warnings: failed checks the policy does not require',
    report.results.filter((r) => shownVerdict(r) === 'warning'),
    null,
  );
  return `${out.join('\n').trimEnd()}\n`;
}
