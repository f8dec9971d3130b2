import type { Verdict } from '../checks/observation.js';
import { BadInputError } from '../errors.js';
import { PROGRAMS, VARIANTS } from '../images/catalogue.js';
import { ENGINE_NOTE } from '../images/expected-row.js';
import { countTotals, type CheckFace, type Report, type ReportResult } from './model.js';
import { keyFigure } from './text.js';

/** A report read from a file, named for error messages. */
export interface NamedReport {
  file: string;
  report: Report;
}

/** The engine a result ran on: a merged report across engines tags each result. */
export const engineOf = (report: Report, r: ReportResult): string => r.engine ?? report.engine.kind;

const resultKey = (engine: string, r: ReportResult) =>
  `${engine}\u0000${r.subject}\u0000${r.check}\u0000${r.scenario ?? ''}`;

/**
 * Where a result sits in a single unsharded run: catalogue subjects in catalogue order
 * (variant, then program), checks in battery order, scenarios in the check's order (as
 * the reports list them); anything else after them, in the order met.
 */
function planRank(checks: readonly CheckFace[]): (r: ReportResult) => number[] {
  return (r) => {
    const v = VARIANTS.findIndex((x) => x.name === r.variant);
    const p = PROGRAMS.findIndex((x) => x === r.program);
    const ci = checks.findIndex((c) => c.name === r.check);
    const s = ci >= 0 ? (checks[ci]?.scenarios.indexOf(r.scenario) ?? -1) : -1;
    const big = Number.MAX_SAFE_INTEGER;
    return [v < 0 ? big : v, p < 0 ? big : p, ci < 0 ? big : ci, s < 0 ? big : s];
  };
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/**
 * Join shard and engine reports into one. Shards of one engine become one engine's
 * results (a cell reported twice for one engine is an error: overlapping shards);
 * reports of different engines keep every result tagged with its engine, and the
 * report lists the engines. Results come out in the order of a single unsharded run.
 */
export function mergeReports(inputs: NamedReport[]): Report {
  const first = inputs[0];
  if (!first) throw new BadInputError('report: --merge needs at least one report');
  const kinds = new Set(inputs.map((i) => i.report.kind));
  if (kinds.size > 1) throw new BadInputError(`report: cannot merge ${[...kinds].join(' and ')} reports into one`);
  const graces = new Set(inputs.map((i) => i.report.graceSeconds));
  if (graces.size > 1)
    throw new BadInputError(
      `report: the reports ran with different grace periods (${[...graces].join(', ')} s): their timings do not compare`,
    );
  const images = new Set(inputs.map((i) => i.report.image ?? ''));
  if (images.size > 1)
    throw new BadInputError(`report: the reports certify different images (${[...images].join(', ')})`);

  const engines = new Map<string, Report['engine']>();
  for (const { report } of inputs) {
    for (const e of report.engines ?? [report.engine]) if (!engines.has(e.kind)) engines.set(e.kind, e);
  }
  const multiEngine = engines.size > 1;
  const seen = new Map<string, string>();
  const tagged: { r: ReportResult; order: number }[] = [];
  for (const { file, report } of inputs) {
    for (const r of report.results) {
      const engine = engineOf(report, r);
      const key = resultKey(engine, r);
      const other = seen.get(key);
      if (other)
        throw new BadInputError(
          `report: ${r.subject} ${r.check}${r.scenario ? ` ${r.scenario}` : ''} on ${engine} is in both ${other} and ${file} (overlapping shards?)`,
        );
      seen.set(key, file);
      tagged.push({ r: multiEngine ? { ...r, engine } : omitEngine(r), order: tagged.length });
    }
  }
  const engineOrder = [...engines.keys()];
  // The checks the inputs name, in the battery's order (the first input's, then any
  // other input's that it lacks).
  const checks: CheckFace[] = [];
  for (const { report } of inputs)
    for (const c of report.checks ?? []) if (!checks.some((k) => k.name === c.name)) checks.push(c);
  const rank = planRank(checks);
  tagged.sort(
    (a, b) =>
      compareRanks(rank(a.r), rank(b.r)) ||
      engineOrder.indexOf(a.r.engine ?? '') - engineOrder.indexOf(b.r.engine ?? '') ||
      a.order - b.order,
  );
  const results = tagged.map((t) => t.r);
  const totals = countTotals(results);
  const started = inputs.map((i) => i.report.startedAt).sort()[0] ?? first.report.startedAt;
  const finished =
    inputs
      .map((i) => i.report.finishedAt)
      .sort()
      .at(-1) ?? first.report.finishedAt;
  const lifecycle = inputs.find((i) => i.report.lifecycle)?.report.lifecycle;
  const passed = inputs.every((i) => i.report.passed !== false);
  const merged: Report = {
    ...first.report,
    engine: first.report.engine,
    startedAt: started,
    finishedAt: finished,
    concurrency: Math.max(...inputs.map((i) => i.report.concurrency)),
    totals,
    results,
    ...(checks.length ? { checks } : {}),
    mergedFrom: inputs.map(({ file, report }) => ({
      file,
      engine: report.engine.kind,
      results: report.results.length,
      ...(report.shard ? { shard: report.shard } : {}),
    })),
  };
  delete merged.shard;
  delete merged.load;
  if (multiEngine) merged.engines = [...engines.values()];
  else delete merged.engines;
  if (lifecycle) merged.lifecycle = lifecycle;
  // One incomplete input makes the whole incomplete.
  const incomplete = inputs.filter((i) => i.report.incomplete);
  delete merged.incomplete;
  if (incomplete.length)
    merged.incomplete = {
      reason: incomplete.map((i) => `${i.file}: ${i.report.incomplete?.reason}`).join('; '),
      planned: inputs.reduce((n, i) => n + (i.report.incomplete?.planned ?? i.report.results.length), 0),
      ran: inputs.reduce((n, i) => n + (i.report.incomplete?.ran ?? i.report.results.length), 0),
    };
  if (first.report.passed !== undefined) merged.passed = passed;
  return merged;
}

function omitEngine(r: ReportResult): ReportResult {
  const rest = { ...r };
  delete rest.engine;
  return rest;
}

/** An observation without its timing fields (…Ms, …Seconds). */
function untimed(observed: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(observed).filter(([k]) => !/(Ms|Seconds)$/.test(k)));
}

/** What of a result is compared across engines: the expected row's fields, else the untimed observation. */
function comparable(r: ReportResult): Record<string, unknown> {
  if (!r.expected) return untimed(r.observed);
  const keys = Object.keys(r.expected).filter((k) => k !== ENGINE_NOTE);
  return Object.fromEntries(keys.map((k) => [k, r.observed[k]]));
}

/** One (subject, check, scenario) whose verdict or key figure differs between engines. */
export interface EngineDifference {
  subject: string;
  check: string;
  scenario: string | null;
  /** Engine kind -> its verdict and key figure (absent when it did not run there). */
  by: Record<string, { verdict: Verdict; figure: string } | null>;
  /** The expected row's own note on why the engines differ, when it has one. */
  note?: string;
}

/** Every cell whose verdict or observed values (timings aside) differ between the engines of a multi-engine report. */
export function engineDifferences(report: Report): EngineDifference[] {
  const engines = (report.engines ?? [report.engine]).map((e) => e.kind);
  if (engines.length < 2) return [];
  const groups = new Map<string, ReportResult[]>();
  for (const r of report.results) {
    const key = `${r.subject}\u0000${r.check}\u0000${r.scenario ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: EngineDifference[] = [];
  for (const rs of groups.values()) {
    const by: EngineDifference['by'] = {};
    for (const e of engines) {
      const r = rs.find((x) => engineOf(report, x) === e);
      by[e] = r ? { verdict: r.verdict, figure: keyFigure([r]) } : null;
    }
    // Timings, pids and races differ from run to run on any engine: the verdict and
    // the fields the expected row holds (the deterministic ones) decide whether the
    // cell differs, or the untimed observation where there is no expected row.
    const compared = engines.map((e) => {
      const r = rs.find((x) => engineOf(report, x) === e);
      return r ? `${r.verdict}\u0000${JSON.stringify(comparable(r))}` : '';
    });
    if (new Set(compared).size < 2) continue;
    const r0 = rs[0] as ReportResult;
    const note = rs.map((r) => r.expected?.engineNote).find((n): n is string => typeof n === 'string');
    out.push({ subject: r0.subject, check: r0.check, scenario: r0.scenario, by, ...(note ? { note } : {}) });
  }
  return out;
}
