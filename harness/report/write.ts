import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';
import type { CellChange } from './diff.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import type { Report } from './model.js';
import { assertReport } from './validate.js';

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
  assertReport(JSON.parse(JSON.stringify(report)), 'the report being written');
  mkdirSync(dir, { recursive: true });
  const render: Record<Format, () => string> = {
    json: () => `${JSON.stringify(report, null, 2)}\n`,
    html: () => renderHtml(report, { changes }),
    md: () => renderMarkdown(report, { changes }),
    junit: () => renderJunit(report),
    sarif: () => renderSarif(report),
  };
  return formats.map((f) => {
    const path = join(dir, FILES[f]);
    writeFileSync(path, render[f]());
    return path;
  });
}
