import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../harness/paths.js';
import { fixtureReport, result } from '../support/fixture-report.js';

const harness = (...args: string[]) =>
  execa('node', [join(projectRoot(), 'bin/harness.mjs'), ...args], { reject: false });

describe('harness report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harness-report-'));
  const current = join(dir, 'current.json');
  const baseline = join(dir, 'baseline.json');
  const report = fixtureReport();
  writeFileSync(current, JSON.stringify(report));
  const better = fixtureReport();
  const cell = better.results[2];
  if (cell)
    better.results[2] = result(cell.subject, cell.check, cell.scenario, {
      ...cell,
      verdict: 'pass',
      observed: { exitCode: 0, stopDurationMs: 20, killed: false },
    });
  writeFileSync(baseline, JSON.stringify(better));

  it('renders every format and exits 0 without a baseline', async () => {
    const r = await harness('report', '--input', current, '--out', join(dir, 'plain'));
    expect(r.exitCode, r.stderr).toBe(0);
    for (const f of ['report.json', 'report.html', 'report.md', 'junit.xml'])
      expect(readFileSync(join(dir, 'plain', f), 'utf8').length).toBeGreaterThan(100);
  });

  it('lists a cell whose verdict was better in the baseline as a regression and exits 1', async () => {
    const r = await harness('report', '--input', current, '--baseline', baseline, '--out', join(dir, 'diff'));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(
      'regression: exec-form/naive graceful-stop: pass (0 in 0.02s) -> fail (137 in 2.03s KILL)',
    );
    expect(readFileSync(join(dir, 'diff', 'report.md'), 'utf8')).toContain(
      '🔻 regression: exec-form/naive graceful-stop',
    );
    expect(readFileSync(join(dir, 'diff', 'report.html'), 'utf8')).toContain(
      '<li class="regression">regression: exec-form/naive graceful-stop',
    );
  });

  it('names the offending path of an invalid report and exits 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...report, results: [{ ...report.results[0], verdict: 'meh' }] }));
    const r = await harness('report', '--input', bad);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(
      `harness: ${bad} is not a valid report: /results/0/verdict: must be equal to one of the allowed values`,
    );
  });
});

describe('what harness report loads', () => {
  it('no engine code: no engine client, no engine/ or run/ module but the load leaf', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-report-modules-'));
    const input = join(dir, 'report.json');
    const log = join(dir, 'modules.txt');
    writeFileSync(input, JSON.stringify(fixtureReport()));
    const r = await execa(
      'node',
      [
        '--import',
        join(projectRoot(), 'suites/support/module-log.mjs'),
        join(projectRoot(), 'bin/harness.mjs'),
        'report',
        '--input',
        input,
        '--out',
        join(dir, 'out'),
      ],
      { reject: false, env: { MODULE_LOG: log, HARNESS_QUIET_BUILD: '1' } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const loaded = [...new Set(readFileSync(log, 'utf8').trim().split('\n'))];
    // The hook sees what it should: the command and the renderers.
    expect(loaded).toContain('cli/report.js');
    expect(loaded).toContain('report/html.js');
    const runtime = loaded.filter(
      (m) =>
        m.startsWith('engine/') ||
        (m.startsWith('run/') && m !== 'run/load-info.js') ||
        ['package dockerode', 'package testcontainers', 'package docker-modem'].includes(m),
    );
    expect(runtime).toEqual([]);
  });
});
