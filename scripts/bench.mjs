#!/usr/bin/env node
// `npm run bench`: the harness's speed measured side by side with what the engine
// allows, in one run on one engine, as ratios (min / median / max over BENCH_RUNS runs,
// default 3). Writes bench/results.json and bench/results.md and prints the table.
//
//   stop battery   graceful-stop over the 22 catalogue subjects: the harness at
//                  concurrency 1 and at its default, against a naive serial loop of
//                  docker CLI calls doing the same stops (run, wait for the ready
//                  line, stop -t G, inspect, rm) with the same images, env and grace
//   engine floor   bare dockerode: create, start, stop (-t 0), remove the same number
//                  of containers at the harness's concurrency: what no harness can beat
//   full matrix    the whole battery over the catalogue (no lifecycle face-off) against
//                  a naive serial loop of docker CLI calls doing each of its scenarios
//                  (scripts/bench-naive.mjs), BENCH_MATRIX_RUNS times (default 2)
//   matrix floor   the engine floor for as many containers as the full matrix ran, plus
//                  the grace periods its SIGKILLed scenarios waited out across the slots
//   npm test       the whole test command, BENCH_TEST_RUNS times (default BENCH_RUNS;
//                  0 skips it), against one full matrix run
//   certify        `harness certify` of one sample image against the engine floor for
//                  as many containers as the certification created (counted from the
//                  engine's events), at its concurrency, plus one grace period when a
//                  scenario had to wait one out
//   stop error     the harness's stop figure (the engine's kill-to-die event times)
//                  against the host's clock around the stop request, per scenario
//   scaling        graceful-stop of 1, 4, 16, 64 copies of one subject at the default
//                  concurrency: where wall time stops growing slower than the count
//   CLI start      `harness --version` and `harness report` on a one-result report,
//                  compiled (dist/) against the sources through tsx
//   peak memory    the matrix command's peak RSS (VmHWM) during the stop battery
//   probe jitter   a pod with exec, httpGet and tcpSocket probes at a 1 s period: the
//                  gaps between one probe's consecutive results (bench/probe-jitter.yaml)
//   pod start      from a pod run's start to its app container's Started event, image
//                  present, on the engine and on the harness's containerd through the CRI
//                  (bench/pod-start.yaml; scripts/bench-pod-start.mjs)
//
// Needs a ready machine (`harness setup`; the sample images are built on first use).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { NAIVE_CHECKS, naiveScenario } from './bench-naive.mjs';
import { podStarts } from './bench-pod-start.mjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS) || 3;
const GRACE = 2;
const say = (line) => process.stderr.write(`bench: ${line}\n`);
const stamp = join(root, 'dist', 'BUILD');
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'ignore' });
const harnessBin = join(root, 'bin', 'harness.mjs');
if (!existsSync(stamp)) throw new Error('dist/ was not built');
const { VARIANTS, PROGRAMS } = await import(join(root, 'dist', 'harness', 'images', 'catalogue.js'));
const { CHECKS } = await import(join(root, 'dist', 'harness', 'checks', 'battery.js'));

const work = mkdtempSync(join(tmpdir(), 'harness-bench-'));
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1], n: s.length };
};
const ms = () => Number(process.hrtime.bigint()) / 1e6;

/** Run the harness CLI; returns wall ms, its report, and its peak RSS (kB) read from /proc. */
function harness(args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = ms();
    const child = spawn(process.execPath, [harnessBin, ...args], {
      cwd: root,
      env: { ...process.env, HARNESS_QUIET_BUILD: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let peakKb = 0;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', () => undefined);
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // gone
      }
    }, 200);
    child.on('exit', (code) => {
      clearInterval(poll);
      const wallMs = ms() - t0;
      if (code !== 0 && code !== 1)
        reject(new Error(`harness ${args.join(' ')} exited ${code}: ${err.split('\n').slice(-3).join(' ')}`));
      else resolve({ wallMs, peakKb, code });
    });
  });
}

const docker = (args, opts = {}) => execFileSync('docker', args, { encoding: 'utf8', ...opts }).trim();

// The catalogue's images, built by a first (unmeasured) harness run.
say('warming up: building the sample images if needed');
await harness([
  'matrix',
  '--check',
  'graceful-stop',
  '--no-lifecycle',
  '--format',
  'json',
  '--out',
  join(work, 'warm'),
]);
const warm = JSON.parse(readFileSync(join(work, 'warm', 'report.json'), 'utf8'));
const concurrency = warm.concurrency;
const imageOfRepo = (repo) => docker(['images', repo, '--format', '{{.Repository}}:{{.Tag}}']).split('\n')[0];
const imageOf = (variant) => imageOfRepo(`harness/sample-${variant}`);
const subjects = VARIANTS.flatMap((v) =>
  PROGRAMS.map((p) => ({ name: `${v.name}/${p}`, image: imageOf(v.name), env: `APP_MODE=${p}`, init: !!v.init })),
);

/** The naive serial loop: docker CLI calls, one subject after the other. */
function naiveLoop(list) {
  const t0 = ms();
  for (const s of list) {
    const id = docker(['run', '-d', '--network', 'none', '-e', s.env, ...(s.init ? ['--init'] : []), s.image]);
    const deadline = Date.now() + 60_000;
    while (!/ready pid=/.test(docker(['logs', id], { stdio: ['ignore', 'pipe', 'pipe'] })) && Date.now() < deadline)
      spawnSync('sleep', ['0.05']);
    docker(['stop', '-t', String(GRACE), id]);
    docker(['inspect', '--format', '{{.State.ExitCode}}', id]);
    docker(['rm', id]);
  }
  return ms() - t0;
}

/**
 * The engine's floor: create, start, stop at once, remove; `n` containers, `c` at a time.
 * `loopback`: created as the matrix creates the catalogue's containers (networking
 * disabled: the engine sets up no network sandbox for them).
 */
async function engineFloor(n, c, { loopback = false } = {}) {
  const Docker = (await import('dockerode')).default;
  const d = new Docker();
  const image = imageOf('exec-form');
  const t0 = ms();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const ctr = await d.createContainer({
        Image: image,
        Cmd: ['sleep', '3600'],
        ...(loopback ? { NetworkDisabled: true } : {}),
        HostConfig: { NetworkMode: 'none' },
      });
      await ctr.start();
      await ctr.stop({ t: 0 });
      await ctr.remove({ force: true });
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  return ms() - t0;
}

const results = {
  machine: `${cpus().length} cores, ${cpus()[0]?.model ?? ''}`.trim(),
  engine: warm.engine,
  runs,
  grace: GRACE,
  concurrency,
  figures: {},
};
const record = (key, values, unit, note) => (results.figures[key] = { ...stats(values), unit, note });

const h1 = [];
const hN = [];
const naive = [];
const floor = [];
const peak = [];
const stopErr = [];
for (let r = 0; r < runs; r++) {
  say(`run ${r + 1}/${runs}: the harness at concurrency 1`);
  const one = await harness([
    'matrix',
    '--check',
    'graceful-stop',
    '--no-lifecycle',
    '--concurrency',
    '1',
    '--grace',
    String(GRACE),
    '--format',
    'json',
    '--out',
    join(work, `c1-${r}`),
  ]);
  h1.push(one.wallMs);
  say(`run ${r + 1}/${runs}: the harness at its default concurrency (${concurrency})`);
  const def = await harness([
    'matrix',
    '--check',
    'graceful-stop',
    '--no-lifecycle',
    '--grace',
    String(GRACE),
    '--format',
    'json',
    '--out',
    join(work, `cN-${r}`),
  ]);
  hN.push(def.wallMs);
  peak.push(def.peakKb / 1024);
  for (const res of JSON.parse(readFileSync(join(work, `cN-${r}`, 'report.json'), 'utf8')).results) {
    const t = res.evidence.timings ?? {};
    if (typeof t.stopRequestMs === 'number' && typeof t.stopDurationMs === 'number')
      stopErr.push(Math.abs(t.stopRequestMs - t.stopDurationMs));
  }
  say(`run ${r + 1}/${runs}: the naive serial docker CLI loop`);
  naive.push(naiveLoop(subjects));
  say(`run ${r + 1}/${runs}: the engine floor (${subjects.length} containers, ${concurrency} at a time)`);
  floor.push(await engineFloor(subjects.length, concurrency, { loopback: true }));
}
record('harness-c1', h1, 'ms', `graceful-stop x ${subjects.length} subjects, harness at concurrency 1`);
record('harness-default', hN, 'ms', `the same at the default concurrency (${concurrency})`);
record('naive-loop', naive, 'ms', 'the same stops by a serial docker CLI loop');
record('engine-floor', floor, 'ms', `create+start+stop(-t 0)+remove x ${subjects.length}, ${concurrency} at a time`);
record('stop-error', stopErr, 'ms', "|host request time - engine's kill-to-die time| per stop");
record('peak-rss', peak, 'MiB', 'matrix command, peak RSS (VmHWM)');

// The full matrix against the naive serial loop doing each of its scenarios.
const matrixRuns = Number(process.env.BENCH_MATRIX_RUNS) || 2;
const full = [];
const fullNaive = [];
let scenarioCount = 0;
const leftOut = CHECKS.map((c) => c.name).filter((c) => !NAIVE_CHECKS.includes(c));
if (leftOut.length) say(`full matrix: ${leftOut.join(', ')} left out (the naive loop has no recipe for them)`);
for (let r = 0; r < matrixRuns; r++) {
  say(`full matrix ${r + 1}/${matrixRuns}: the harness`);
  const out = join(work, `full-${r}`);
  full.push(
    (
      await harness([
        'matrix',
        '--no-lifecycle',
        ...NAIVE_CHECKS.flatMap((c) => ['--check', c]),
        '--grace',
        String(GRACE),
        '--format',
        'json',
        '--out',
        out,
      ])
    ).wallMs,
  );
  const scenarios = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).results.map((x) => {
    const variant = VARIANTS.find((v) => v.name === x.variant);
    const repo = `harness/sample-${x.variant}${x.check === 'stop-signal' ? '-sigint' : ''}`;
    return { ...x, init: !!variant?.init, grace: GRACE, image: imageOfRepo(repo) };
  });
  scenarioCount = scenarios.length;
  say(`full matrix ${r + 1}/${matrixRuns}: the naive serial loop (${scenarios.length} scenarios)`);
  const t0 = ms();
  for (const [i, sc] of scenarios.entries()) {
    naiveScenario(sc);
    if ((i + 1) % 50 === 0) say(`  naive loop: ${i + 1}/${scenarios.length}`);
  }
  fullNaive.push(ms() - t0);
}
record('full-matrix', full, 'ms', `harness matrix --no-lifecycle: ${scenarioCount} scenarios`);
record('full-matrix-naive', fullNaive, 'ms', `the same ${scenarioCount} scenarios by a serial docker CLI loop`);

// The engine floor for the matrix's containers: as many creates, starts, stops and
// removals at its concurrency, plus the grace periods its SIGKILLed scenarios must wait
// out (spread over the slots).
const fullFloor = [];
const lastFull = JSON.parse(readFileSync(join(work, `full-${matrixRuns - 1}`, 'report.json'), 'utf8'));
const killedScenarios = lastFull.results.filter((x) => x.observed?.killed === true).length;
for (let r = 0; r < runs; r++) {
  say(`run ${r + 1}/${runs}: the engine floor for the matrix (${scenarioCount} containers)`);
  fullFloor.push(
    (await engineFloor(scenarioCount, concurrency, { loopback: true })) +
      (killedScenarios * GRACE * 1000) / Math.max(1, concurrency),
  );
}
record(
  'full-matrix-floor',
  fullFloor,
  'ms',
  `engine floor for ${scenarioCount} containers, + ${killedScenarios} grace periods waited out across the slots`,
);

// npm test against one matrix run on the same machine (BENCH_TEST_RUNS, default the
// runs; 0 skips it: each is a whole test run).
const testRuns = process.env.BENCH_TEST_RUNS === undefined ? runs : Number(process.env.BENCH_TEST_RUNS) || 0;
const npmTest = [];
for (let r = 0; r < testRuns; r++) {
  say(`npm test ${r + 1}/${testRuns}`);
  const t0 = ms();
  const t = spawnSync('npm', ['test'], { cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });
  if (t.status !== 0) say(`npm test ${r + 1} exited ${t.status}: its figure is still recorded`);
  npmTest.push(ms() - t0);
}
if (npmTest.length) record('npm-test', npmTest, 'ms', 'npm test, every suite');

// certify of one image against the engine floor for the containers it created.
const certifyImage = imageOf('tini');
const certify = [];
const certifyFloor = [];
let certifyContainers = 0;
for (let r = 0; r < runs; r++) {
  say(`run ${r + 1}/${runs}: certify ${certifyImage}, then the engine floor for as many containers`);
  const creates = spawn(
    'docker',
    [
      'events',
      '--filter',
      'type=container',
      '--filter',
      'event=create',
      '--filter',
      'label=io.harness.managed=true',
      '--format',
      '{{.ID}}',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let ids = '';
  creates.stdout.on('data', (d) => (ids += d));
  const out = join(work, `certify-${r}`);
  const run = await harness(['certify', certifyImage, '--format', 'json', '--out', out]);
  // Events arrive in order: once a marker container's create shows in the watch, every
  // create of the certification has too.
  const marker = docker(['create', '--label', 'io.harness.managed=true', '--network', 'none', certifyImage]);
  const deadline = Date.now() + 60_000;
  while (!ids.includes(marker) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  docker(['rm', marker]);
  creates.kill();
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  certifyContainers = ids.split('\n').filter((id) => id && id !== marker).length;
  const graceWait = report.results.some((x) => x.observed?.killed === true) ? report.graceSeconds * 1000 : 0;
  certify.push(run.wallMs);
  certifyFloor.push((await engineFloor(certifyContainers, report.concurrency)) + graceWait);
  results.certify = {
    image: certifyImage,
    containers: certifyContainers,
    concurrency: report.concurrency,
    graceWaitMs: graceWait,
  };
}
record('certify', certify, 'ms', `harness certify of ${certifyImage} (${certifyContainers} containers)`);
record(
  'certify-floor',
  certifyFloor,
  'ms',
  'engine floor for as many containers, + a grace period if one was waited out',
);

const scaling = {};
for (const copies of [1, 4, 16, 64]) {
  const walls = [];
  for (let r = 0; r < runs; r++) {
    // Copies of one subject, as a config file lists them: one scenario per copy.
    const cfg = join(work, `scale-${copies}.yaml`);
    writeFileSync(
      cfg,
      `grace: ${GRACE}\nchecks: [graceful-stop]\nsubjects:\n${Array.from({ length: copies }, (_, i) => `  - {name: tini-${i}, image: "${imageOf('tini')}", ready: {log: "ready pid="}}`).join('\n')}\n`,
    );
    walls.push(
      (await harness(['matrix', '--config', cfg, '--format', 'json', '--out', join(work, `scale-${copies}-${r}`)]))
        .wallMs,
    );
  }
  scaling[copies] = stats(walls);
  say(`scaling: ${copies} copies: median ${Math.round(scaling[copies].median)} ms`);
}
results.scaling = scaling;

// Probe-period jitter: one pod with exec, httpGet and tcpSocket probes at a 1 s period;
// the gaps between one probe's consecutive results, against the period asked for.
const PROBE_RESULTS = 21;
const gaps = { exec: [], http: [], tcp: [] };
for (let r = 0; r < runs; r++) {
  const out = join(work, `probe-${r}`);
  say(`run ${r + 1}/${runs}: probe jitter (${PROBE_RESULTS} results per probe, 1 s period)`);
  await harness([
    'pod',
    'run',
    join(root, 'bench', 'probe-jitter.yaml'),
    '--until',
    `exec.ProbeSucceeded>=${PROBE_RESULTS}`,
    '--until',
    `web.ProbeSucceeded>=${2 * PROBE_RESULTS + 1}`,
    '--no-faceoff',
    '--out',
    out,
  ]);
  // Until the deletion: readiness goes on probing during termination, on a loaded engine.
  const all = JSON.parse(readFileSync(join(out, 'pod.json'), 'utf8')).events;
  const end = all.find((e) => e.reason === 'Killing')?.atMs ?? Infinity;
  const events = all.filter((e) => e.atMs < end);
  const series = {
    exec: (e) => e.container === 'exec' && e.message.startsWith('Readiness'),
    http: (e) => e.container === 'web' && e.message.startsWith('Readiness'),
    tcp: (e) => e.container === 'web' && e.message.startsWith('Liveness'),
  };
  for (const [kind, pick] of Object.entries(series)) {
    const at = events.filter((e) => e.reason === 'ProbeSucceeded' && pick(e)).map((e) => e.atMs);
    for (let i = 1; i < at.length; i++) gaps[kind].push(at[i] - at[i - 1]);
  }
}
for (const [kind, values] of Object.entries(gaps))
  record(`probe-gap-${kind}`, values, 'ms', `gap between two ${kind} probe results at a 1000 ms period`);

// Pod start on each runtime, interleaved run by run.
for (const [rt, values] of Object.entries(podStarts(runs, say)))
  record(`pod-start-${rt}`, values, 'ms', `pod run to its app container's Started event on ${rt}, image present`);

// CLI start: compiled against the sources through tsx.
const small = join(work, 'small.json');
const one = JSON.parse(readFileSync(join(work, 'cN-0', 'report.json'), 'utf8'));
writeFileSync(
  small,
  JSON.stringify({ ...one, results: one.results.slice(0, 1), totals: { pass: 1, fail: 0, error: 0, skip: 0 } }),
);
const timeNode = (args) => {
  const t0 = ms();
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, HARNESS_QUIET_BUILD: '1' },
  });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return ms() - t0;
};
for (const [key, args] of /** @type {[string, string[]][]} */ ([
  ['cli-version', ['--version']],
  ['cli-report', ['report', '--input', small, '--out', join(work, 'small-out')]],
])) {
  const a = [];
  const b = [];
  for (let i = 0; i < Math.max(5, runs); i++) {
    a.push(timeNode([harnessBin, ...args]));
    b.push(timeNode(['--import', 'tsx', join(root, 'harness', 'cli', 'main.ts'), ...args]));
  }
  record(key, a, 'ms', `harness ${args[0]} compiled`);
  record(`${key}-tsx`, b, 'ms', `harness ${args[0]} from the sources through tsx`);
}

const f = results.figures;
const ratio = (a, b) => (f[a].median / f[b].median).toFixed(2);
results.ratios = {
  'harness at concurrency 1 / naive loop': ratio('harness-c1', 'naive-loop'),
  'harness at default concurrency / naive loop': ratio('harness-default', 'naive-loop'),
  'harness at default concurrency / engine floor': ratio('harness-default', 'engine-floor'),
  'full matrix, harness / naive serial loop': ratio('full-matrix', 'full-matrix-naive'),
  'certify of one image / engine floor': ratio('certify', 'certify-floor'),
  'full matrix / engine floor for the same containers': ratio('full-matrix', 'full-matrix-floor'),
  'npm test / one matrix run': f['npm-test'] ? ratio('npm-test', 'full-matrix') : 'not measured (BENCH_TEST_RUNS=0)',
  'per scenario at concurrency 1, harness / naive (ms)': `${Math.round(f['harness-c1'].median / subjects.length)} / ${Math.round(f['naive-loop'].median / subjects.length)}`,
  'scaling 64 copies / 1 copy (wall)': (scaling[64].median / scaling[1].median).toFixed(1),
  'CLI --version, tsx / compiled': ratio('cli-version-tsx', 'cli-version'),
  'probe period, actual / configured (exec, http, tcp; median)': ['exec', 'http', 'tcp']
    .map((k) => (f[`probe-gap-${k}`].median / 1000).toFixed(3))
    .join(', '),
  'pod start, engine / CRI (median)': ratio('pod-start-docker', 'pod-start-cri'),
  'probe gap, worst |actual - configured| (ms)': Math.round(
    Math.max(
      ...['exec', 'http', 'tcp'].flatMap((k) => [f[`probe-gap-${k}`].max - 1000, 1000 - f[`probe-gap-${k}`].min]),
    ),
  ),
};

const fmt = (s, unit) => `${Math.round(s.min)} / ${Math.round(s.median)} / ${Math.round(s.max)} ${unit}`;
const md = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${results.machine}; ${results.engine.kind} ${results.engine.version}; ${runs} runs; grace ${GRACE} s; default concurrency ${concurrency}.`,
  '',
  '| figure | min / median / max | what |',
  '|---|---|---|',
  ...Object.entries(f).map(([k, v]) => `| ${k} | ${fmt(v, v.unit)} | ${v.note} |`),
  ...Object.entries(scaling).map(
    ([k, v]) =>
      `| scaling-${k} | ${fmt(v, 'ms')} | graceful-stop of ${k} copies of tini/aware at the default concurrency |`,
  ),
  '',
  '| ratio | value |',
  '|---|---|',
  ...Object.entries(results.ratios).map(([k, v]) => `| ${k} | ${v} |`),
].join('\n');
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(root, 'bench', 'results.md'), `${md}\n`);
process.stdout.write(`${md}\n`);
