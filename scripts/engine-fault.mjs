#!/usr/bin/env node
// `npm run fault`: the engine dies in the middle of a matrix run. Runs on a private
// dockerd of its own (its own socket, data root and exec root; no bridge, no iptables
// changes), never on the engine other runs use: loads the harness's images into it,
// starts `harness matrix` against it, SIGKILLs that dockerd once a few scenarios have
// finished, then asserts:
//   - the matrix exits 2 within a bound, with one line that names the engine and no stack trace;
//   - the report of what ran is written, valid, and marked incomplete (ran < planned);
//   - once the engine is back, `harness clean` leaves no container or network of the run.
// Needs root and a machine made ready by `harness setup` (dockerd installed, images built).
// Exit 0 when every assertion held, 1 otherwise.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'harness.mjs');
const say = (line) => process.stderr.write(`fault: ${line}\n`);
const work = mkdtempSync(join(tmpdir(), 'hf-'));
const socket = join(work, 'docker.sock');
const host = `unix://${socket}`;
const failures = [];
const expect = (ok, what) => {
  say(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const docker = (args, engine) =>
  execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(engine ? { DOCKER_HOST: engine } : {}) },
    maxBuffer: 64 * 1024 * 1024,
  }).trim();

/** Poll `check` until it holds; the deadline only stops a hang. */
async function until(check, deadlineMs, what) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${deadlineMs / 1000} s`);
    await delay(100);
  }
}

/** @type {import('node:child_process').ChildProcess | undefined} */
let dockerd;
function startPrivateEngine() {
  const log = openSync(join(work, 'dockerd.log'), 'a');
  const engine = spawn(
    'dockerd',
    [
      '--host',
      host,
      '--data-root',
      join(work, 'data'),
      '--exec-root',
      join(work, 'x'),
      '--pidfile',
      join(work, 'docker.pid'),
      '--bridge',
      'none',
      '--iptables=false',
      '--ip-masq=false',
    ],
    { stdio: ['ignore', log, log], detached: true },
  );
  dockerd = engine;
  return until(
    () => {
      try {
        docker(['version', '--format', '{{.Server.Version}}'], host);
        return true;
      } catch {
        if (engine.exitCode !== null || engine.signalCode !== null) {
          const tail = readFileSync(join(work, 'dockerd.log'), 'utf8').trim().split('\n').slice(-3).join('\n');
          throw new Error(`the private dockerd exited (${engine.exitCode ?? engine.signalCode}):\n${tail}`);
        }
        return false;
      }
    },
    60_000,
    'the private dockerd answers',
  );
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Stop the private engine's containerd and wait until it is gone (a new dockerd that
 * finds its pid alive waits on it instead of starting its own); the containers' shims
 * stay: a new containerd adopts them.
 */
async function killContainerd() {
  const pids = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /\bcontainerd\b/.test(l) && !/containerd-shim/.test(l) && l.includes(work))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await until(() => !pids.some(alive), 30_000, 'the private containerd gone');
  rmSync(join(work, 'x', 'containerd', 'containerd.pid'), { force: true });
}

const runObjects = () =>
  ['ps', 'network'].flatMap((what) =>
    docker(
      what === 'ps'
        ? ['ps', '-aq', '--filter', 'label=io.harness.run']
        : ['network', 'ls', '-q', '--filter', 'label=io.harness.run'],
      host,
    )
      .split('\n')
      .filter(Boolean),
  );

try {
  // What the run needs, from the engine the machine was made ready on.
  const images = docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])
    .split('\n')
    .filter((t) => /^harness\/(base|base-rootfs|toolbox|sample-tini|sample-exec-form):/.test(t));
  if (!images.some((t) => t.startsWith('harness/base:')))
    throw new Error('no harness/base image on the engine: run `harness setup` first');
  say(`private dockerd at ${host}`);
  await startPrivateEngine();
  say(`loading ${images.length} image(s) into it`);
  execFileSync('sh', ['-c', `docker save ${images.join(' ')} | DOCKER_HOST=${host} docker load -q`], {
    stdio: 'ignore',
  });

  const out = join(work, 'report');
  const started = Date.now();
  const matrix = spawn(
    process.execPath,
    [
      bin,
      'matrix',
      '--variant',
      'tini',
      '--variant',
      'exec-form',
      '--no-lifecycle',
      '--concurrency',
      '2',
      '--out',
      out,
    ],
    {
      cwd: work,
      env: { ...process.env, DOCKER_HOST: host, HARNESS_QUIET_BUILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let stdout = '';
  matrix.stderr.on('data', (d) => (stderr += d));
  matrix.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise((resolve) => matrix.on('exit', (code) => resolve(code)));

  // Mid-run: a few scenarios done, others in flight.
  await until(
    () => /matrix \[\s*[3-9]\d*\//.test(stderr) || /matrix \[\s*\d{2,}\//.test(stderr),
    300_000,
    'three scenarios done',
  );
  const pid = Number(readFileSync(join(work, 'docker.pid'), 'utf8'));
  say(
    `killing the private dockerd (pid ${pid}) ${Math.round((Date.now() - started) / 1000)} s into the run, with ${runObjects().length} object(s) of the run on it`,
  );
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  const code = await Promise.race([exited, delay(180_000).then(() => 'hung')]);
  say(`the matrix ended ${Math.round((Date.now() - killedAt) / 1000)} s after the kill, with ${code}`);
  expect(code === 2, `exit code 2 (got ${code})`);
  const lines = stderr.trim().split('\n');
  const last = lines.at(-1) ?? '';
  expect(
    last.startsWith('harness: the docker engine at ') && last.includes(socket) && last.includes('stopped answering'),
    `the last line names the engine: ${last}`,
  );
  expect(!/^\s+at /m.test(stderr + stdout), 'no stack trace');
  const reportFile = join(out, 'report.json');
  expect(existsSync(reportFile), 'report.json written');
  if (existsSync(reportFile)) {
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    const inc = report.incomplete;
    expect(
      !!inc && inc.ran < inc.planned && inc.ran === report.results.length,
      `marked incomplete: ${JSON.stringify(inc)}`,
    );
    const check = spawn(process.execPath, [bin, 'report', '--input', reportFile, '--out', join(work, 'rendered')], {
      stdio: 'ignore',
    });
    expect((await new Promise((r) => check.on('exit', r))) === 0, 'the partial report validates and renders');
    expect(
      readFileSync(join(work, 'rendered', 'report.md'), 'utf8').includes('**Incomplete**'),
      'its Markdown says incomplete',
    );
  }

  // The engine back: clean removes what the dead run left.
  await until(() => !alive(pid), 30_000, 'the killed dockerd gone');
  rmSync(join(work, 'docker.pid'), { force: true });
  // Its containerd outlives a killed dockerd and keeps the socket a new one would start.
  await killContainerd();
  await startPrivateEngine();
  say(`back: ${runObjects().length} object(s) of the run on the engine`);
  execFileSync(process.execPath, [bin, 'clean'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore' });
  const left = runObjects();
  expect(left.length === 0, `nothing left after harness clean (${left.length})`);
} catch (caught) {
  const err = /** @type {{ message?: string }} */ (caught);
  failures.push(String(err?.message ?? err));
  say(`FAIL ${err?.message ?? err}`);
} finally {
  const pid = dockerd?.pid;
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
      await until(() => !alive(pid), 60_000, 'the private dockerd stopped').catch(() => process.kill(pid, 'SIGKILL'));
    } catch {
      // already gone
    }
  }
  await killContainerd().catch(() => undefined);
  try {
    execFileSync('sh', ['-c', `grep " ${work}" /proc/mounts | cut -d" " -f2 | sort -r | xargs -r umount -l`]);
  } catch {
    // nothing mounted
  }
  if (failures.length && process.env.FAULT_KEEP) say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
say(failures.length ? `${failures.length} assertion(s) failed` : 'every assertion held');
process.exitCode = failures.length ? 1 : 0;
