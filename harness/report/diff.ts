import type { Verdict } from '../checks/observation.js';
import type { Report, ReportResult } from './model.js';
import { keyFigure } from './text.js';
import { engineOf } from './merge.js';

export interface CellChange {
  subject: string;
  check: string;
  scenario: string | null;
  /** The engine, when either report ran on more than one. */
  engine?: string;
  kind: 'regression' | 'improvement' | 'changed' | 'added' | 'removed';
  before: { verdict: Verdict; figure: string } | null;
  after: { verdict: Verdict; figure: string } | null;
}

const RANK: Record<Verdict, number> = { pass: 0, skip: 1, fail: 2, error: 3 };

const cellKey = (report: Report, r: ReportResult) =>
  `${engineOf(report, r)}\u0000${r.subject}\u0000${r.check}\u0000${r.scenario ?? ''}`;

/**
 * Every cell whose verdict or key figure changed between a baseline and a report,
 * regressions (verdict got worse) first.
 */
export function diffReports(baseline: Report, current: Report): CellChange[] {
  const before = new Map(baseline.results.map((r) => [cellKey(baseline, r), r]));
  const after = new Map(current.results.map((r) => [cellKey(current, r), r]));
  const changes: CellChange[] = [];
  const multi = !!(baseline.engines ?? current.engines);
  const on = (report: Report, r: ReportResult) => (multi ? { engine: engineOf(report, r) } : {});
  const cell = (r: ReportResult) => ({ verdict: r.verdict, figure: keyFigure([r]) });
  for (const [key, a] of after) {
    const b = before.get(key);
    if (!b) {
      changes.push({
        subject: a.subject,
        check: a.check,
        scenario: a.scenario,
        ...on(current, a),
        kind: 'added',
        before: null,
        after: cell(a),
      });
      continue;
    }
    const cb = cell(b);
    const ca = cell(a);
    if (cb.verdict === ca.verdict && cb.figure === ca.figure) continue;
    const kind =
      RANK[ca.verdict] > RANK[cb.verdict]
        ? 'regression'
        : RANK[ca.verdict] < RANK[cb.verdict]
          ? 'improvement'
          : 'changed';
    changes.push({
      subject: a.subject,
      check: a.check,
      scenario: a.scenario,
      ...on(current, a),
      kind,
      before: cb,
      after: ca,
    });
  }
  for (const [key, b] of before) {
    if (!after.has(key))
      changes.push({
        subject: b.subject,
        check: b.check,
        scenario: b.scenario,
        ...on(baseline, b),
        kind: 'removed',
        before: cell(b),
        after: null,
      });
  }
  const order: CellChange['kind'][] = ['regression', 'removed', 'changed', 'improvement', 'added'];
  return changes.sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind));
}

export const hasRegression = (changes: CellChange[]): boolean => changes.some((c) => c.kind === 'regression');

export function describeChange(c: CellChange): string {
  const side = (s: CellChange['before']) => (s ? `${s.verdict} (${s.figure})` : 'absent');
  return `${c.kind}: ${c.subject} ${c.check}${c.scenario ? ` ${c.scenario}` : ''}${c.engine ? ` on ${c.engine}` : ''}: ${side(c.before)} -> ${side(c.after)}`;
}
