import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import type { CellChange } from './diff.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import type { Report } from './model.js';
import { assertReport } from './validate.js';
import { redactDeep } from '../secrets.js';

export const FORMATS = ['json', 'html', 'md', 'junit', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];
/** Written when --format is not given (SARIF is asked for). */
export const DEFAULT_FORMATS: readonly Format[] = ['json', 'html', 'md', 'junit'];

const FILES: Record<Format, string> = {
  json: 'report.json',
  html: 'report.html',
  md: 'report.md',
  junit: 'junit.xml',
  sarif: 'report.sarif',
};

export function parseFormats(value: string | undefined, command: string): Format[] {
  if (value === undefined) return [...DEFAULT_FORMATS];
  const list = value
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (!list.length)
    throw new BadInputError(`${command}: --format needs at least one format (formats: ${FORMATS.join(', ')})`);
  for (const f of list) {
    if (!FORMATS.includes(f as Format))
      throw new BadInputError(`${command}: unknown format "${f}" (formats: ${FORMATS.join(', ')})`);
  }
  return list as Format[];
}

/**
 * Write the report in each format into `dir`. The JSON is validated against the schema
 * first: a report the harness cannot read back is never written.
 */
export function writeReport(
  dir: string,
  report: Report,
  formats: readonly Format[] = DEFAULT_FORMATS,
  changes?: CellChange[],
): string[] {
  // No value of the image's environment is ever written (see secrets.ts).
  report = redactDeep(report);
  assertReport(JSON.parse(JSON.stringify(report)), 'the report being written');
  makeOutputDir(dir);
  const render: Record<Format, () => string> = {
    json: () => `${JSON.stringify(report, null, 2)}\n`,
    html: () => renderHtml(report, { changes }),
    md: () => renderMarkdown(report, { changes }),
    junit: () => renderJunit(report),
    sarif: () => renderSarif(report),
  };
  return formats.map((f) => {
    const path = join(dir, FILES[f]);
    writeOutput(path, render[f]());
    return path;
  });
}

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/**
 * Make an output folder one level at a time (Node's recursive mkdir spins on some
 * paths, /proc among them): a folder that cannot be made is a one-line error.
 */
export function makeOutputDir(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (!statSync(at).isDirectory()) throw new BadInputError(`cannot write reports to ${dir}: ${at} is not a folder`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') throw new BadInputError(`cannot write reports to ${dir}: ${codeOf(err)}`);
    }
  }
}

/** Write an output file; a full disk or a refused write is a one-line error, not a stack trace. */
function writeOutput(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new BadInputError(`cannot write ${path}: ${codeOf(err)}`);
  }
}
