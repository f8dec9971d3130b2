import { homedir } from 'node:os';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';

/**
 * Where an engine listens, as Docker's and Podman's clients understand DOCKER_HOST and
 * CONTAINER_HOST: a unix socket, tcp (plain, or TLS from DOCKER_TLS_VERIFY /
 * DOCKER_TLS and DOCKER_CERT_PATH), or ssh to a remote socket.
 */
export type EngineAddress =
  | { scheme: 'unix'; url: string; socketPath: string }
  | {
      scheme: 'tcp';
      url: string;
      host: string;
      port: number;
      /** TLS: the folder holding ca.pem, cert.pem and key.pem, and whether to verify the server. */
      tls?: { certPath: string; verify: boolean };
    }
  | { scheme: 'ssh'; url: string; user?: string; host: string; port?: number; socketPath: string };

/** Where an address came from, to say so when it does not answer. */
export interface Candidate {
  address: EngineAddress;
  /** `DOCKER_HOST`, `CONTAINER_HOST`, or the kind of default socket. */
  source: string;
  /** Set by the user: only this one is tried, and nothing is brought up in its place. */
  explicit: boolean;
}

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const PODMAN_ROOTFUL_SOCKET = '/run/podman/podman.sock';

const truthy = (v: string | undefined) => v !== undefined && v !== '' && v !== '0';

/** Parse one engine address; a malformed one is a one-line error naming its variable. */
export function parseEngineAddress(
  text: string,
  env: NodeJS.ProcessEnv = process.env,
  source = 'DOCKER_HOST',
): EngineAddress {
  const value = text.trim();
  if (value.startsWith('/')) return { scheme: 'unix', url: `unix://${value}`, socketPath: value };
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  const scheme = m?.[1]?.toLowerCase();
  const bad = (why: string) =>
    new BadInputError(
      `${source}="${text}": ${why} (expected unix:///path, tcp://host:port or ssh://[user@]host[:port][/socket])`,
    );
  if (scheme === 'unix') {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw bad('a unix socket needs an absolute path');
    return { scheme: 'unix', url: value, socketPath };
  }
  if (scheme === 'npipe') throw bad('named pipes exist only on Windows');
  let url: URL;
  try {
    url = new URL(scheme ? value : `tcp://${value}`);
  } catch {
    throw bad('not a URL');
  }
  if (!url.hostname) throw bad('no host');
  const port = url.port ? Number(url.port) : undefined;
  if (scheme === 'ssh') {
    return {
      scheme: 'ssh',
      url: value,
      user: url.username ? decodeURIComponent(url.username) : undefined,
      host: url.hostname,
      port,
      socketPath: url.pathname && url.pathname !== '/' ? decodeURIComponent(url.pathname) : DOCKER_SOCKET,
    };
  }
  if (scheme !== undefined && !['tcp', 'http', 'https'].includes(scheme)) throw bad(`unknown scheme "${scheme}"`);
  const verify = truthy(env.DOCKER_TLS_VERIFY);
  const useTls = verify || truthy(env.DOCKER_TLS) || scheme === 'https';
  const certPath = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  return {
    scheme: 'tcp',
    url: scheme ? value : `tcp://${value}`,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: port ?? (useTls ? 2376 : 2375),
    tls: useTls ? { certPath, verify } : undefined,
  };
}

/**
 * The engines to try, in order. DOCKER_HOST (then CONTAINER_HOST, Podman's variable)
 * when set is the only one, as with Docker's and Podman's own clients; otherwise
 * Docker's socket, rootless Docker's, Podman's rootful socket, then Podman's rootless.
 */
export function engineCandidates(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): Candidate[] {
  for (const name of ['DOCKER_HOST', 'CONTAINER_HOST'] as const) {
    const value = env[name];
    if (value) return [{ address: parseEngineAddress(value, env, name), source: name, explicit: true }];
  }
  const runtimeDir = env.XDG_RUNTIME_DIR || (uid !== 0 ? `/run/user/${uid}` : undefined);
  const sockets: [string, string][] = [[DOCKER_SOCKET, 'Docker']];
  if (runtimeDir) sockets.push([`${runtimeDir}/docker.sock`, 'rootless Docker']);
  sockets.push([PODMAN_ROOTFUL_SOCKET, 'Podman']);
  if (runtimeDir) sockets.push([`${runtimeDir}/podman/podman.sock`, 'rootless Podman']);
  const seen = new Set<string>();
  return sockets
    .filter(([path]) => !seen.has(path) && seen.add(path))
    .map(([socketPath, source]) => ({
      address: { scheme: 'unix', url: `unix://${socketPath}`, socketPath },
      source,
      explicit: false,
    }));
}

/** The environment a Docker client (testcontainers, docker-compose) needs to reach `address`. */
export function clientEnvironment(address: EngineAddress): Record<string, string | undefined> {
  if (address.scheme === 'tcp') {
    return {
      DOCKER_HOST: `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`,
      DOCKER_TLS_VERIFY: address.tls?.verify ? '1' : undefined,
      DOCKER_CERT_PATH: address.tls ? address.tls.certPath : undefined,
    };
  }
  return { DOCKER_HOST: `unix://${address.socketPath}`, DOCKER_TLS_VERIFY: undefined, DOCKER_CERT_PATH: undefined };
}
