#!/usr/bin/env node
// Soak (not part of CI): N full `harness matrix` runs back to back (default 3;
// `node scripts/soak.mjs 10`, extra arguments go to the matrix). Reports every cell
// whose verdict changed between runs, every result that differs from its expected row,
// and anything a run left on the engine (containers, networks of a harness run).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [countText, ...matrixArgs] = process.argv.slice(2);
const count = Number(countText) || 3;
const work = mkdtempSync(join(tmpdir(), 'harness-soak-'));
const say = (line) => process.stderr.write(`soak: ${line}\n`);
const left = () =>
  ['ps', 'network'].flatMap((what) => {
    const args = what === 'ps' ? ['ps', '-aq'] : ['network', 'ls', '-q'];
    return $.sync({ quiet: true })`docker ${args} --filter label=io.harness.run`.stdout
      .split('\n')
      .filter(Boolean)
      .map((id) => `${what === 'ps' ? 'container' : 'network'} ${id}`);
  });

const verdicts = new Map();
let changed = 0;
let differing = 0;
let leftovers = 0;
for (let i = 1; i <= count; i++) {
  const out = join(work, `run-${i}`);
  const t0 = Date.now();
  const r = $.sync({ cwd: root, quiet: true, nothrow: true, env: { ...process.env, HARNESS_QUIET_BUILD: '1' } })`${
    process.execPath
  } ${join(root, 'bin', 'harness.mjs')} matrix --format json --out ${out} ${matrixArgs}`;
  if (r.exitCode !== 0 && r.exitCode !== 1) {
    say(`run ${i}: exit ${r.exitCode}: ${r.stderr.trim().split('\n').at(-1)}`);
    process.exitCode = 2;
    break;
  }
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const diff = (r.stdout.match(/(\d+) differ from the expected row/) ?? [])[1] ?? '?';
  differing += Number(diff) || 0;
  for (const res of report.results) {
    const key = `${res.subject} ${res.check}${res.scenario ? ` ${res.scenario}` : ''}`;
    const seen = verdicts.get(key);
    if (seen && seen.verdict !== res.verdict) {
      changed++;
      say(`run ${i}: ${key} was ${seen.verdict} in run ${seen.run}, now ${res.verdict}: ${res.reason}`);
    }
    verdicts.set(key, { verdict: res.verdict, run: i });
  }
  const after = left();
  leftovers += after.length;
  say(
    `run ${i}/${count}: ${report.results.length} results in ${Math.round((Date.now() - t0) / 1000)} s, exit ${r.exitCode}, ${diff} differing from the expected rows, ${after.length} object(s) left${after.length ? `: ${after.join(', ')}` : ''}`,
  );
}
say(
  `${count} run(s): ${changed} verdict change(s), ${differing} result(s) off their rows, ${leftovers} object(s) left`,
);
if (changed || differing || leftovers) process.exitCode = 1;
