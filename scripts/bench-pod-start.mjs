#!/usr/bin/env node
// Pod start on each runtime, side by side in one run: from the run's start (the pod
// timeline's zero) to the first app container's Started event, with the image present
// (a first, unmeasured run on each runtime makes it so). Part of `npm run bench`; alone:
// `node scripts/bench-pod-start.mjs` (BENCH_RUNS runs per runtime, default 5).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const POD_START_RUNTIMES = ['docker', 'cri'];

/**
 * One pod run until its app container started; the Started event's time on its timeline, ms.
 * @param {string} runtime
 * @param {string} out
 * @returns {number}
 */
function startedAtMs(runtime, out) {
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'bin', 'harness.mjs'),
      'pod',
      'run',
      join(root, 'bench', 'pod-start.yaml'),
      '--runtime',
      runtime,
      '--until',
      'app.Started>=1',
      '--no-faceoff',
      '--out',
      out,
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, HARNESS_QUIET_BUILD: '1' } },
  );
  if (r.status !== 0) throw new Error(`pod run --runtime ${runtime} exited ${r.status}: ${r.stderr.slice(-500)}`);
  /** @type {{ reason: string; container: string | null; atMs: number }[]} */
  const events = JSON.parse(readFileSync(join(out, 'pod.json'), 'utf8')).events;
  const started = events.find((e) => e.reason === 'Started' && e.container === 'app');
  if (!started) throw new Error(`pod run --runtime ${runtime}: no Started event`);
  return started.atMs;
}

/**
 * Per runtime, `runs` measured pod starts (ms), after one unmeasured run each.
 * @param {number} runs
 * @param {(line: string) => void} [say]
 * @returns {Record<string, number[]>}
 */
export function podStarts(runs, say = () => undefined) {
  const work = mkdtempSync(join(tmpdir(), 'harness-pod-start-'));
  /** @type {Record<string, number[]>} */
  const out = Object.fromEntries(POD_START_RUNTIMES.map((rt) => [rt, []]));
  for (const rt of POD_START_RUNTIMES) startedAtMs(rt, join(work, `warm-${rt}`));
  // Interleaved, so a change in the machine's load falls on both runtimes alike.
  for (let i = 0; i < runs; i++)
    for (const rt of POD_START_RUNTIMES) {
      const at = startedAtMs(rt, join(work, `${rt}-${i}`));
      out[rt]?.push(at);
      say(`pod start on ${rt}, run ${i + 1}/${runs}: ${Math.round(at)} ms`);
    }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.env.BENCH_RUNS) || 5;
  const starts = podStarts(runs, (l) => process.stderr.write(`bench: ${l}\n`));
  /** @param {number[]} xs */
  const med = (xs) => /** @type {number} */ ([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
  for (const [rt, xs] of Object.entries(starts))
    process.stdout.write(
      `pod start on ${rt}: min ${Math.round(Math.min(...xs))} / median ${Math.round(med(xs))} / max ${Math.round(Math.max(...xs))} ms (${xs.length} runs)\n`,
    );
  process.stdout.write(
    `pod start, docker / cri (median): ${(med(starts.docker ?? []) / med(starts.cri ?? [])).toFixed(2)}\n`,
  );
}
