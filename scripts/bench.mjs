#!/usr/bin/env node
// `npm run bench`: speed figures measured side by side in one run, printed as ratios.
// CLI start: the compiled command (dist/) against the same command run from the
// TypeScript sources through tsx, for `harness --version` and `harness report` on a
// small report. Median of several runs each, interleaved so load hits both alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS) || 9;
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'ignore' });

const dir = mkdtempSync(join(tmpdir(), 'harness-bench-'));
const report = join(dir, 'report.json');
writeFileSync(
  report,
  JSON.stringify({
    schemaVersion: 1,
    kind: 'matrix',
    engine: { kind: 'docker', version: '20.10.24', endpoint: '/var/run/docker.sock' },
    startedAt: '2026-11-29T00:00:00.000Z',
    finishedAt: '2026-11-29T00:01:00.000Z',
    graceSeconds: 2,
    concurrency: 4,
    totals: { pass: 1, fail: 0, error: 0, skip: 0 },
    results: [
      {
        subject: 'tini/aware',
        variant: 'tini',
        program: 'aware',
        check: 'graceful-stop',
        scenario: null,
        did: 'stopped it',
        verdict: 'pass',
        reason: 'exited 0',
        expected: null,
        observed: { exitCode: 0, stopDurationMs: 150, killed: false },
        evidence: {},
        durationMs: 900,
      },
    ],
  }),
);

const compiled = [join(root, 'bin', 'harness.mjs')];
const fromSources = ['--import', 'tsx', join(root, 'harness', 'cli', 'main.ts')];
const cases = [
  ['harness --version', ['--version']],
  ['harness report (1 result)', ['report', '--input', report, '--out', join(dir, 'out')]],
];
const time = (args) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = [];
for (const [name, args] of cases) {
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    a.push(time([...compiled, ...args]));
    b.push(time([...fromSources, ...args]));
  }
  rows.push({ name, compiledMs: Math.round(median(a)), tsxMs: Math.round(median(b)) });
}
console.log(`CLI start, median of ${runs} runs each (interleaved)`);
console.log('| command | compiled (dist/) | from sources (tsx) | ratio |');
console.log('|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.name} | ${r.compiledMs} ms | ${r.tsxMs} ms | ${(r.tsxMs / r.compiledMs).toFixed(1)}x faster |`);
