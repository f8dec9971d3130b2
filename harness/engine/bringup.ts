import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { EngineUnavailableError, SetupError } from '../errors.js';
import type { Logger } from '../log.js';
import { findEngine, type Engine } from './connect.js';

const DOCKERD_WAIT_MS = 60_000;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function isDebianLike(): boolean {
  return existsSync('/etc/debian_version');
}

async function commandExists(name: string): Promise<boolean> {
  const r = await execa('sh', ['-c', `command -v ${name}`], { reject: false });
  return r.exitCode === 0;
}

/** One line telling a user without an engine what to do. */
export function noEngineAdvice(): string {
  if (isRoot() && isDebianLike()) return 'run `npx harness setup` to install and start Docker';
  if (isDebianLike())
    return 'run `sudo npx harness setup` (installs docker.io and starts dockerd), or start Docker or `podman system service` yourself and set DOCKER_HOST';
  return 'start Docker (or `podman system service`) and set DOCKER_HOST if its socket is not /var/run/docker.sock';
}

/** apt-get install, running `apt-get update` first when the package is unknown. */
export async function aptInstall(packages: string[], log: Logger): Promise<void> {
  log(`installing ${packages.join(', ')} from Debian's packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await execa('apt-get', ['update'], { reject: false, all: true, env });
  if (update.exitCode !== 0)
    log(`apt-get update failed (continuing with the cached lists): ${update.all?.split('\n').at(-1)}`);
  const r = await execa('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
    reject: false,
    all: true,
    env,
  });
  if (r.exitCode !== 0) {
    throw new SetupError(`apt-get install ${packages.join(' ')} failed (exit ${r.exitCode})`, {
      detail: r.all?.split('\n').slice(-20).join('\n'),
    });
  }
}

/** Start dockerd detached from this process, logging to a file, so it outlives the run. */
function startDockerd(log: Logger): string {
  const dir = join(tmpdir(), 'harness');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'dockerd.log');
  const fd = openSync(logFile, 'a');
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  log(`started dockerd (pid ${child.pid}), log: ${logFile}`);
  return logFile;
}

/**
 * Return an engine that answers, bringing one up when none does and we may: as root on
 * Debian, install docker.io if needed and start dockerd, then wait (bounded) for it.
 */
export async function ensureEngine(log: Logger): Promise<Engine> {
  const found = await findEngine();
  if (found) return found;
  if (!isRoot() || !isDebianLike()) {
    throw new EngineUnavailableError(`no container engine answers: ${noEngineAdvice()}`);
  }
  log('no container engine answers; bringing up Docker');
  if (!(await commandExists('dockerd'))) await aptInstall(['docker.io'], log);
  const logFile = startDockerd(log);
  const deadline = Date.now() + DOCKERD_WAIT_MS;
  while (Date.now() < deadline) {
    const engine = await findEngine();
    if (engine) {
      log(`Docker ${engine.info.version} answers on ${engine.info.endpoint}`);
      return engine;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new EngineUnavailableError(`dockerd did not answer within ${DOCKERD_WAIT_MS / 1000} s (log: ${logFile})`, {
    detail: tail,
  });
}
