#!/usr/bin/env node
// Verdict steadiness (not part of CI): `harness certify` of one image N times in a row
// (default 10) with the default policy at grace 2, and every run's exit code, failing
// checks and stop time side by side. Exit 1 when the verdicts are not all the same.
//   npm run steadiness                     the WSGI service fixture (Debian's gunicorn)
//   npm run steadiness -- 5 IMAGE [ARGS]   another image, extra arguments to certify
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [countText, imageArg, ...certifyArgs] = process.argv.slice(2);
const count = Number(countText) || 10;
const work = mkdtempSync(join(tmpdir(), 'harness-steadiness-'));
const say = (line) => process.stderr.write(`steadiness: ${line}\n`);
/** @param {string[]} args */
const harness = (args) =>
  $.sync({ cwd: root, quiet: true, nothrow: true, env: { ...process.env, HARNESS_QUIET_BUILD: '1' } })`${
    process.execPath
  } ${join(root, 'bin', 'harness.mjs')} ${args}`;

let image = imageArg;
let built = false;
if (!image) {
  const setup = harness(['setup']);
  if (setup.exitCode !== 0)
    throw new Error(`harness setup exited ${setup.exitCode}: ${setup.stderr.trim().split('\n').at(-1)}`);
  const base = /base (\S+);/.exec(setup.stdout)?.[1] ?? 'harness/base:bookworm';
  image = `harness-steadiness/wsgi-workers:${process.pid}`;
  $.sync({
    cwd: join(root, 'images'),
    stdio: ['ignore', 'ignore', 'inherit'],
  })`docker build -q --build-arg ${`BASE=${base}`} -f certify/wsgi-workers/Dockerfile -t ${image} .`;
  built = true;
}

const rows = [];
try {
  for (let i = 1; i <= count; i++) {
    const out = join(work, `run-${i}`);
    const t0 = Date.now();
    const r = harness(['certify', image, '--grace', '2', '--format', 'json', '--out', out, ...certifyArgs]);
    const wallMs = Date.now() - t0;
    let failing = [];
    let stopMs = null;
    try {
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      failing = report.results.filter((x) => x.verdict !== 'pass' && x.required !== false).map((x) => x.check);
      stopMs = report.results.find((x) => x.check === 'graceful-stop')?.observed?.stopDurationMs ?? null;
    } catch {
      failing = ['(no report)'];
    }
    const verdict = `exit ${r.exitCode}${failing.length ? `: ${[...new Set(failing)].sort().join(', ')}` : ''}`;
    rows.push({ verdict, stopMs, wallMs });
    say(
      `run ${i}/${count}: ${verdict}; stop ${stopMs === null ? '-' : `${Math.round(stopMs)} ms`}; ${(wallMs / 1000).toFixed(1)} s`,
    );
  }
} finally {
  if (built) $.sync({ quiet: true, nothrow: true })`docker rmi -f ${image}`;
}

const verdicts = new Set(rows.map((r) => r.verdict));
const stops = rows.map((r) => r.stopMs).filter((x) => typeof x === 'number');
const walls = rows.map((r) => r.wallMs);
const range = (xs, f) => (xs.length ? `${f(Math.min(...xs))} to ${f(Math.max(...xs))}` : '-');
console.log(
  `${image}: ${count} runs, ${verdicts.size === 1 ? 'one verdict' : `${verdicts.size} different verdicts`} (${[...verdicts].join(' | ')}); stop ${range(stops, (x) => `${Math.round(x)} ms`)}; certify ${range(walls, (x) => `${(x / 1000).toFixed(1)} s`)}`,
);
process.exitCode = verdicts.size === 1 ? 0 : 1;
