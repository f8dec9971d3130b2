import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { privateTempDir } from '../safe-paths.js';
import { execa } from 'execa';
import { EngineUnavailableError, SetupError } from '../errors.js';
import type { Logger } from '../log.js';
import { DOCKER_SOCKET, engineCandidates, PODMAN_ROOTFUL_SOCKET } from './address.js';
import { findEngine, type Engine } from './connect.js';

const ENGINE_WAIT_MS = 60_000;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function isDebianLike(): boolean {
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

/** Start a daemon detached from this process, logging to a file, so it outlives the run. */
function startDetached(command: string, args: string[], log: Logger): string {
  const dir = privateTempDir(`harness-${process.getuid?.() ?? 'user'}`);
  const logFile = join(dir, `${command}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  log(`started ${[command, ...args].join(' ')} (pid ${child.pid}), log: ${logFile}`);
  return logFile;
}

export type EngineKind = 'docker' | 'podman';

/**
 * Podman 4.3 sets every container's nofile limit to the host's hard limit unless
 * containers.conf says otherwise; where that limit is low its containers fail to
 * start, so the default ulimits are emptied (the engine's own defaults then apply).
 */
const CONTAINERS_CONF = '/etc/containers/containers.conf';
function configurePodman(log: Logger): void {
  const current = existsSync(CONTAINERS_CONF) ? readFileSync(CONTAINERS_CONF, 'utf8') : '';
  if (/^\s*default_ulimits\s*=/m.test(current)) return;
  mkdirSync('/etc/containers', { recursive: true });
  const text = /^\[containers\]/m.test(current)
    ? current.replace(/^\[containers\][^\n]*\n/m, (h) => `${h}default_ulimits = []\n`)
    : `${current}${current && !current.endsWith('\n') ? '\n' : ''}[containers]\ndefault_ulimits = []\n`;
  writeFileSync(CONTAINERS_CONF, text);
  log(`set default_ulimits = [] in ${CONTAINERS_CONF}`);
}

async function waitForEngine(kind: EngineKind, logFile: string, env: NodeJS.ProcessEnv, log: Logger): Promise<Engine> {
  const deadline = Date.now() + ENGINE_WAIT_MS;
  while (Date.now() < deadline) {
    const engine = await findEngine(env);
    if (engine) {
      log(
        `${engine.info.kind === 'podman' ? 'Podman' : 'Docker'} ${engine.info.version} answers on ${engine.info.endpoint}`,
      );
      return engine;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new EngineUnavailableError(`${kind} did not answer within ${ENGINE_WAIT_MS / 1000} s (log: ${logFile})`, {
    detail: tail,
  });
}

/**
 * Return an engine that answers, bringing one up when none does and we may: as root on
 * Debian, install docker.io (or podman) if needed and start dockerd (or Podman's
 * Docker-compatible API service on /run/podman/podman.sock), then wait (bounded).
 * An engine named by DOCKER_HOST or CONTAINER_HOST is only ever used, never brought up
 * in another's place; `kind` asks for that engine even when another one answers.
 */
export async function ensureEngine(log: Logger, kind?: EngineKind): Promise<Engine> {
  const candidates = engineCandidates();
  const explicit = candidates.find((c) => c.explicit);
  const wanted =
    kind === 'podman' && !explicit ? { ...process.env, DOCKER_HOST: `unix://${PODMAN_ROOTFUL_SOCKET}` } : process.env;
  const found = await findEngine(wanted);
  if (found && (!kind || found.info.kind === kind)) return found;
  if (found) {
    throw new EngineUnavailableError(
      `${explicit?.source ?? 'the engine'} (${found.info.endpoint}) is ${found.info.kind}, not ${kind}: unset ${explicit?.source ?? 'DOCKER_HOST'} or point it at ${kind}`,
    );
  }
  if (explicit) {
    const a = explicit.address;
    const ours = a.scheme === 'unix' && [DOCKER_SOCKET, PODMAN_ROOTFUL_SOCKET].includes(a.socketPath);
    if (!ours) throw new EngineUnavailableError(`no container engine answers at ${explicit.source}=${a.url}`);
  }
  if (process.env.HARNESS_IN_CONTAINER) {
    throw new EngineUnavailableError(
      'no container engine answers on the socket mounted into this container: start the engine on the host (`npx harness setup`) and mount its socket at /var/run/docker.sock (docker-compose.yml does)',
    );
  }
  if (!isRoot() || !isDebianLike()) {
    throw new EngineUnavailableError(`no container engine answers: ${noEngineAdvice()}`);
  }
  const podman =
    kind === 'podman' || (explicit?.address.scheme === 'unix' && explicit.address.socketPath === PODMAN_ROOTFUL_SOCKET);
  if (podman) {
    log('no Podman service answers; bringing up Podman');
    // Podman's --init is catatonit at /usr/libexec/podman/catatonit (a Recommends of
    // Debian's podman, so not installed without recommends).
    const missing = [
      ...(!(await commandExists('podman')) ? ['podman'] : []),
      ...(!existsSync('/usr/libexec/podman/catatonit') ? ['catatonit'] : []),
    ];
    if (missing.length) await aptInstall(missing, log);
    configurePodman(log);
    mkdirSync('/run/podman', { recursive: true });
    const logFile = startDetached('podman', ['system', 'service', '--time=0', `unix://${PODMAN_ROOTFUL_SOCKET}`], log);
    return waitForEngine('podman', logFile, wanted, log);
  }
  log('no container engine answers; bringing up Docker');
  if (!(await commandExists('dockerd'))) await aptInstall(['docker.io'], log);
  const logFile = startDetached('dockerd', [], log);
  return waitForEngine('docker', logFile, process.env, log);
}
