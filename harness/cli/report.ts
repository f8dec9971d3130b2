import { join, resolve, dirname } from 'node:path';
import { BadInputError } from '../errors.js';
import { describeChange, diffReports, hasRegression } from '../report/diff.js';
import { readReport } from '../report/validate.js';
import { parseFormats, writeReport } from '../report/write.js';
import { parse } from './args.js';

export const reportHelp = `harness report --input FILE [--baseline FILE] [--out DIR] [--format LIST]

Renders a report.json (validated against reports/report.schema.json) as report.html
(self-contained), report.md and junit.xml (and report.json) in DIR (default: the
input's folder). With --baseline, lists every cell whose verdict or key figure changed,
regressions first, in every format and on stdout.

Exit 0, or 1 when a verdict got worse than in the baseline; 2 on bad input (a report
that fails validation is named with the offending JSON path).`;

export async function reportCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parse('report', argv, {
    input: { type: 'string' },
    baseline: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
  });
  if (!values.input) throw new BadInputError('report: --input FILE is required (see `harness report --help`)');
  const formats = parseFormats(values.format, 'report');
  const report = readReport(values.input);
  const changes = values.baseline ? diffReports(readReport(values.baseline), report) : undefined;
  const dir = resolve(values.out ?? dirname(resolve(values.input)));
  // Re-rendering in place must not rewrite the input itself.
  const writeFormats =
    resolve(join(dir, 'report.json')) === resolve(values.input) ? formats.filter((f) => f !== 'json') : formats;
  const paths = writeReport(dir, report, writeFormats, changes);
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
