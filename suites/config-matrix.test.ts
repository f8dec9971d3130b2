/**
 * `harness matrix` over a team's own subjects from harness.config.yaml: a service that
 * needs PORT to start (given in the config, ready once it listens) and a legacy
 * shell-form image whose expected row says it is SIGKILLed. Both behave as their rows
 * say, so the run exits 0; the report names the config's subjects.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../harness/paths.js';
import { imageOf } from './support/harness.js';

describe('harness matrix with harness.config.yaml', () => {
  it('runs the battery over the config subjects and judges them by their expected rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-config-run-'));
    writeFileSync(
      join(dir, 'harness.config.yaml'),
      `grace: 2
checks: [graceful-stop, zombie-reaping]
subjects:
  - name: api
    image: ${inject('harness').fixtures['needs-port']}
    env: {PORT: "8080"}
    ready: {port: 8080}
    expected:
      graceful-stop: {killed: false, exitCode: 0}
      zombie-reaping: {zombies: 0}
  - name: legacy
    image: ${imageOf('shell-form')}
    ready: {log: "ready pid="}
    expected:
      graceful-stop: {killed: true, exitCode: 137}
`,
    );
    // Found in the working directory; the reports go to its reports/.
    const r = await execa('node', [join(projectRoot(), 'bin/harness.mjs'), 'matrix', '--json'], {
      cwd: dir,
      reject: false,
      all: true,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toContain(`subjects from ${join(dir, 'harness.config.yaml')}: api, legacy`);
    expect(r.stderr).toMatch(/0 differ from the expected row/);
    const report = JSON.parse(r.stdout) as { results: { subject: string; check: string; verdict: string }[] };
    expect(report.results.map((x) => `${x.subject} ${x.check} ${x.verdict}`)).toEqual([
      'api graceful-stop pass',
      'api zombie-reaping pass',
      'legacy graceful-stop fail',
      'legacy zombie-reaping pass',
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'reports', 'latest', 'report.json'), 'utf8'))).toEqual(report);
  });
});
