/**
 * `harness report` renders from the report alone: it loads no check, runtime, engine,
 * gate or pod module (the report carries each result's figure and stop bar, and what it
 * says of its checks). The modules are seen by a resolve hook registered before the
 * command starts, which writes each harness module it resolves.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../harness/paths.js';
import { fixtureReport } from '../support/fixture-report.js';

/** Folders `harness report` must not load a module of. */
const NOT_LOADED = ['checks/', 'runtime/', 'engine/', 'cri/', 'certify/', 'pod/', 'observe/'];

describe('harness report', () => {
  it('loads no check, runtime, engine, gate or pod module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-report-modules-'));
    const log = join(dir, 'modules.txt');
    const harnessDir = `${pathToFileURL(join(projectRoot(), 'harness')).href}/`;
    const distDir = `${pathToFileURL(join(projectRoot(), 'dist', 'harness')).href}/`;
    writeFileSync(
      join(dir, 'hook.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function resolve(spec, context, next) {
  const r = await next(spec, context);
  for (const base of ${JSON.stringify([distDir, harnessDir])})
    if (r.url.startsWith(base)) appendFileSync(${JSON.stringify(log)}, r.url.slice(base.length).replace(/\\.ts$/, '.js') + '\\n');
  return r;
}
`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)});\n`,
    );
    writeFileSync(join(dir, 'report.json'), JSON.stringify(fixtureReport()));
    writeFileSync(log, '');
    const r = await execa(
      'node',
      [
        '--import',
        join(dir, 'register.mjs'),
        join(projectRoot(), 'bin/harness.mjs'),
        'report',
        '--input',
        join(dir, 'report.json'),
        '--out',
        join(dir, 'out'),
      ],
      { reject: false, env: { HARNESS_QUIET_BUILD: '1' } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const loaded = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))].sort();
    // The renderers themselves were seen: the hook did watch the command.
    expect(loaded).toEqual(expect.arrayContaining(['report/html.js', 'report/sarif.js', 'cli/report.js']));
    expect(loaded.filter((m) => NOT_LOADED.some((folder) => m.startsWith(folder)))).toEqual([]);
  });
});
