#!/usr/bin/env node
// Interrupts at random moments: `harness matrix`, `harness certify` and `harness pod
// run`, each sent SIGINT (to its process group, as a terminal's Ctrl-C), SIGTERM and
// SIGKILL at a random moment of its run, TRIALS times each (default 20). After each,
// the engine must hold no container and no network of any harness run within 10 s.
// Run it alone on the engine (it counts every harness object). Exit 1 on any leftover.
//   node scripts/interrupt-trials.mjs [TRIALS] [matrix|certify|pod ...]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'harness.mjs');
const [trialsText, ...only] = process.argv.slice(2);
const trials = Number(trialsText) || 20;
const work = mkdtempSync(join(tmpdir(), 'harness-interrupts-'));
const say = (line) => process.stderr.write(`interrupts: ${line}\n`);

const objects = () =>
  [
    ['ps', '-aq', '--filter', 'label=io.harness.managed=true'],
    ['network', 'ls', '-q', '--filter', 'label=io.harness.managed=true'],
  ].flatMap((args) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean));

const sample = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'harness/sample-tini'], {
  encoding: 'utf8',
})
  .split('\n')
  .find(Boolean);
if (!sample) throw new Error('no harness/sample-tini image: run `harness matrix` once first');

/** Each command, and the span (s) of its run in which the signal lands. */
const COMMANDS = {
  matrix: { args: ['matrix', '--variant', 'tini', '--variant', 'shell-form', '--no-lifecycle'], spanS: 25 },
  certify: { args: ['certify', sample, '--grace', '2'], spanS: 12 },
  pod: { args: ['pod', 'run', join(root, 'images', 'pods', 'hooks-and-startup.yaml'), '--for', '20'], spanS: 20 },
};
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'];
const HUNG = 'still running 60 s after the signal';

const results = [];
for (const [name, { args, spanS }] of Object.entries(COMMANDS)) {
  if (only.length && !only.includes(name)) continue;
  for (const signal of SIGNALS) {
    for (let t = 1; t <= trials; t++) {
      if (objects().length) throw new Error('harness objects on the engine before a trial: run it alone');
      const out = join(work, `${name}-${signal}-${t}`);
      const child = spawn(process.execPath, [bin, ...args, '--out', out], {
        cwd: work,
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, HARNESS_QUIET_BUILD: '1' },
      });
      const group = -(child.pid ?? 0);
      const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig)));
      const atMs = Math.round(Math.random() * spanS * 1000);
      const early = await Promise.race([delay(atMs).then(() => false), exited.then(() => true)]);
      const present = objects().length;
      if (!early) process.kill(group, signal);
      const ended = await Promise.race([exited, delay(60_000).then(() => HUNG)]);
      const sentAt = Date.now();
      let left = objects();
      while (left.length && Date.now() - sentAt < 10_000) {
        await delay(200);
        left = objects();
      }
      const row = { command: name, signal, trial: t, atMs, present, ended, left: left.length, early };
      results.push(row);
      say(
        `${name} ${signal} #${t} at ${(atMs / 1000).toFixed(1)} s (${present} object(s) present): ended ${ended}; ${left.length ? `FAIL ${left.length} left after 10 s` : `none left after ${Date.now() - sentAt} ms`}${early ? ' (ended before the signal)' : ''}`,
      );
      if (left.length) execFileSync(process.execPath, [bin, 'clean'], { stdio: 'ignore' });
      if (ended === HUNG) process.kill(group, 'SIGKILL');
    }
  }
}
rmSync(work, { recursive: true, force: true });
const failed = results.filter((r) => r.left > 0 || r.ended === HUNG);
const summary = {};
for (const r of results) {
  const k = `${r.command} ${r.signal}`;
  summary[k] ??= { trials: 0, leftovers: 0, withObjects: 0 };
  summary[k].trials++;
  summary[k].leftovers += r.left > 0 ? 1 : 0;
  summary[k].withObjects += r.present > 0 ? 1 : 0;
}
for (const [k, v] of Object.entries(summary))
  console.log(
    `${k}: ${v.trials} trial(s), ${v.withObjects} with objects on the engine at the signal, ${v.leftovers} left objects`,
  );
console.log(failed.length ? `FAIL: ${failed.length} trial(s)` : `ok: ${results.length} trial(s), nothing left`);
process.exitCode = failed.length ? 1 : 0;
