#!/usr/bin/env node
// Proves that an interrupted run leaves nothing behind: starts a command in its own
// process group, waits until it has a running container under test, sends SIGINT to
// the whole group (what Ctrl-C in a terminal does), then watches the engine until no
// container of the harness is left. SIGNAL=SIGKILL tests a run killed outright.
// Usage: [SIGNAL=SIGINT] node scripts/interrupt-check.mjs [command...]  (default: npm test)
import { spawn } from 'node:child_process';
import { $, sleep } from 'zx';

$.verbose = false;
const command = process.argv.slice(2);
const argv = command.length ? command : ['npm', 'test'];
const harnessContainers = async (extra = '') =>
  (await $`docker ps -aq --filter label=io.harness.managed=true ${extra ? ['--filter', extra] : []}`).stdout
    .split('\n')
    .filter(Boolean);

const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore' });
const started = Date.now();
while ((await harnessContainers('status=running')).length === 0) {
  if (Date.now() - started > 120_000) throw new Error('no container started within 120 s');
  await sleep(100);
}
const before = await harnessContainers();
const signal = process.env.SIGNAL ?? 'SIGINT';
process.kill(-child.pid, signal);
const interruptedAt = Date.now();
let left = before;
while (left.length && Date.now() - interruptedAt < 20_000) {
  await sleep(200);
  left = await harnessContainers();
}
const code = await new Promise((resolve) =>
  child.exitCode !== null || child.signalCode !== null
    ? resolve(child.exitCode ?? child.signalCode)
    : child.on('exit', (c, s) => resolve(c ?? s)),
);
console.log(`${argv.join(' ')}: sent ${signal} with ${before.length} container(s) present; command ended with ${code}`);
console.log(
  left.length
    ? `FAIL: ${left.length} container(s) left after 20 s`
    : `ok: none left ${Date.now() - interruptedAt} ms after ${signal}`,
);
process.exitCode = left.length ? 1 : 0;
