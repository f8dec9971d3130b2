import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';
import type { CellChange } from './diff.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './model.js';
import { assertReport } from './validate.js';

export const FORMATS = ['json', 'html', 'md', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

const FILES: Record<Format, string> = { json: 'report.json', html: 'report.html', md: 'report.md', junit: 'junit.xml' };

export function parseFormats(value: string | undefined, command: string): Format[] {
  if (!value) return [...FORMATS];
  const list = value
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
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
  formats: readonly Format[] = FORMATS,
  changes?: CellChange[],
): string[] {
  assertReport(JSON.parse(JSON.stringify(report)), 'the report being written');
  mkdirSync(dir, { recursive: true });
  const render: Record<Format, () => string> = {
    json: () => `${JSON.stringify(report, null, 2)}\n`,
    html: () => renderHtml(report, { changes }),
    md: () => renderMarkdown(report, { changes }),
    junit: () => renderJunit(report),
  };
  return formats.map((f) => {
    const path = join(dir, FILES[f]);
    writeFileSync(path, render[f]());
    return path;
  });
}
