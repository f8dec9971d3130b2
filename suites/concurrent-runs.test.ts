/**
 * Two harness runs at once on one engine: each labels its objects with its own run id,
 * so neither removes the other's containers, both reports hold only their own results,
 * and nothing of either run is left afterwards.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../harness/paths.js';

describe('two runs at once on one engine', () => {
  it('never collide: each report has its own subjects, every object goes with its run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-two-runs-'));
    const run = (variant: string) =>
      execa(
        'node',
        [
          join(projectRoot(), 'bin/harness.mjs'),
          'matrix',
          '--variant',
          variant,
          '--check',
          'graceful-stop',
          '--check',
          'zombie-reaping',
          '--no-lifecycle',
          '--concurrency',
          '2',
          '--format',
          'json',
          '--out',
          join(dir, variant),
        ],
        { reject: false, all: true },
      );
    const tini = run('tini');
    const execForm = run('exec-form');
    const pids = [tini.pid, execForm.pid];
    const [a, b] = await Promise.all([tini, execForm]);
    expect(a.exitCode, a.all).toBe(0);
    expect(b.exitCode, b.all).toBe(0);
    const subjects = (v: string) =>
      new Set(
        (
          JSON.parse(readFileSync(join(dir, v, 'report.json'), 'utf8')) as { results: { subject: string }[] }
        ).results.map((r) => r.subject),
      );
    expect([...subjects('tini')].sort()).toEqual(['tini/aware', 'tini/naive']);
    expect([...subjects('exec-form')].sort()).toEqual(['exec-form/aware', 'exec-form/naive']);
    // Neither run removed the other's containers mid-scenario (no errors above), and
    // each took its own with it: nothing is labelled with either process as its owner.
    for (const pid of pids) {
      const left = await execa('docker', ['ps', '-aq', '--filter', `label=io.harness.pid=${pid}`]);
      expect(left.stdout.trim(), `containers of the run in process ${pid}`).toBe('');
    }
  });
});
