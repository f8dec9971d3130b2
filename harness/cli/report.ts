import { join, resolve, dirname } from 'node:path';
import { BadInputError } from '../errors.js';
import { describeChange, diffReports, hasRegression } from '../report/diff.js';
import { readReport } from '../report/validate.js';
import { parseFormats, writeReport } from '../report/write.js';
import { parse, type Options } from './args.js';
import { engineDifferences, mergeReports } from '../report/merge.js';
import { outputDir } from '../paths.js';

export const reportHelp = `harness report --input FILE [--baseline FILE] [--out DIR] [--format LIST]
harness report --merge FILE... [--baseline FILE] [--out DIR] [--format LIST]

Renders a report.json (validated against reports/report.schema.json) as report.html
(self-contained), report.md and junit.xml (and report.json) in DIR (default: the
input's folder). With --baseline, lists every cell whose verdict or key figure changed,
regressions first, in every format and on stdout.

With --merge, joins reports into one: the shards of \`harness matrix --shard I/N\` (the
same cells as one unsharded run) and reports of different engines (each result tagged
with its engine, one matrix row per subject and engine, and a table of the cells where
the engines differ). DIR defaults to reports/merged. Overlapping shards, different
grace periods or report kinds are refused.

Exit 0, or 1 when a verdict got worse than in the baseline; 2 on bad input (a report
that fails validation is named with the offending JSON path).`;

/** The options `harness report` takes (its help text names each: a unit test checks). */
export const reportOptions = {
  input: { type: 'string' },
  merge: { type: 'boolean' },
  baseline: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
} satisfies Options;

export async function reportCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse('report', argv, reportOptions, true);
  if (values.merge && values.input)
    throw new BadInputError('report: --input and --merge exclude each other (see `harness report --help`)');
  if (positionals.length && !values.merge)
    throw new BadInputError(`report: unexpected argument "${positionals[0]}" (to join reports: --merge FILE...)`);
  if (values.merge && !positionals.length)
    throw new BadInputError('report: --merge needs the report files to join (see `harness report --help`)');
  if (!values.merge && !values.input)
    throw new BadInputError('report: --input FILE or --merge FILE... is required (see `harness report --help`)');
  const formats = parseFormats(values.format, 'report');
  const report = values.merge
    ? mergeReports(positionals.map((file) => ({ file, report: readReport(file) })))
    : readReport(values.input as string);
  const changes = values.baseline ? diffReports(readReport(values.baseline), report) : undefined;
  const dir = resolve(
    values.out ?? (values.merge ? join(outputDir(), 'merged') : dirname(resolve(values.input as string))),
  );
  // Re-rendering in place must not rewrite an input itself.
  const inputs = values.merge ? positionals : [values.input as string];
  const writeFormats = inputs.some((f) => resolve(join(dir, 'report.json')) === resolve(f))
    ? formats.filter((f) => f !== 'json')
    : formats;
  const paths = writeReport(dir, report, writeFormats, changes);
  if (report.mergedFrom) {
    const engines = report.engines ? ` on ${report.engines.map((e) => e.kind).join(' and ')}` : '';
    out(`merged ${report.mergedFrom.length} report(s)${engines}: ${report.results.length} results`);
    const differences = engineDifferences(report);
    if (report.engines) out(`${differences.length} cell(s) differ between the engines`);
  }
  if (changes) {
    out(
      changes.length
        ? `${changes.length} cell(s) changed against ${values.baseline}:`
        : `no cell changed against ${values.baseline}`,
    );
    for (const c of changes) out(`  ${describeChange(c)}`);
  }
  out(`wrote ${paths.join(', ')}`);
  return await Promise.resolve(changes && hasRegression(changes) ? 1 : 0);
}
