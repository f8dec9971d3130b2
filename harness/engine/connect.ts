import { existsSync, readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { join } from 'node:path';
import {
  clientEnvironment,
  engineCandidates,
  parseEngineAddress,
  type Candidate,
  type EngineAddress,
} from './address.js';
import { openSshForward } from './ssh.js';

/** What answers on the other end of the socket. */
export interface EngineInfo {
  kind: 'docker' | 'podman';
  version: string;
  apiVersion: string;
  /** Where it answered, as the user would name it: a unix socket, tcp:// or ssh:// address. */
  endpoint: string;
  /** Whether the engine runs cgroup v1 or v2 (zombie and pids accounting differ). */
  cgroupVersion: string;
  /** The runtime the containers ran on when it is not the engine itself (the CRI's containerd). */
  runtime?: string;
}

export interface Engine {
  /** The engine client: only harness/engine/ talks to it. */
  docker: Docker;
  info: EngineInfo;
  /**
   * How this process reaches it: the address itself, or for ssh the local socket a
   * forward opened by this process listens on.
   */
  connection: EngineAddress;
}

/** Anything that knows its engine (an Engine's holder: a Session, a doctor's probe). */
export interface OnEngine {
  readonly engine: Engine;
}

export { engineCandidates, type Candidate } from './address.js';

/** dockerode's options for an address (unix or tcp; ssh goes through a local forward first). */
export function clientOptions(address: EngineAddress, timeoutMs?: number): Docker.DockerOptions {
  // docker-modem merges defaults read from DOCKER_HOST: every field is set explicitly.
  if (address.scheme === 'tcp') {
    const tls = address.tls;
    const read = (name: string) => (tls ? readFileSync(join(tls.certPath, name)) : undefined);
    return {
      socketPath: undefined,
      host: address.host,
      port: address.port,
      protocol: tls ? 'https' : 'http',
      ca: read('ca.pem'),
      cert: read('cert.pem'),
      key: read('key.pem'),
      ...(tls && !tls.verify ? { checkServerIdentity: () => undefined } : {}),
      timeout: timeoutMs,
    };
  }
  if (address.scheme === 'ssh') throw new Error('an ssh address is reached through its local forward');
  return { socketPath: address.socketPath, host: undefined, port: undefined, protocol: undefined, timeout: timeoutMs };
}

/**
 * The engine client's module, loaded on first use: the report writers and the check
 * definitions they read never pay for it.
 */
async function clientFor(address: EngineAddress, timeoutMs?: number): Promise<Docker> {
  const { default: Docker } = await import('dockerode');
  return new Docker(clientOptions(address, timeoutMs));
}

/**
 * Point every Docker client this process starts (testcontainers, a docker CLI child)
 * at the engine the harness chose: one discovery for all of them.
 */
function pointClientsAt(connection: EngineAddress): void {
  for (const [k, v] of Object.entries(clientEnvironment(connection))) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

/** Ping one candidate; resolve to the engine, or null when nothing answers. */
async function probeCandidate(candidate: Candidate, timeoutMs = 3000): Promise<Engine | null> {
  let connection = candidate.address;
  if (connection.scheme === 'unix' && !existsSync(connection.socketPath)) return null;
  if (connection.scheme === 'ssh') {
    const forward = await openSshForward(connection).catch(() => null);
    if (!forward) return null;
    connection = forward;
  }
  try {
    const probe = await clientFor(connection, timeoutMs);
    await probe.ping();
    const version = await probe.version();
    const components = (version as { Components?: { Name: string }[] }).Components ?? [];
    const kind = components.some((c) => /podman/i.test(c.Name)) ? 'podman' : 'docker';
    const info = (await probe.info()) as { CgroupVersion?: string };
    pointClientsAt(connection);
    return {
      // A client without a socket timeout: builds and waits legitimately take minutes.
      docker: await clientFor(connection),
      connection,
      info: {
        kind,
        version: version.Version,
        apiVersion: version.ApiVersion,
        endpoint: candidate.address.url,
        cgroupVersion: info.CgroupVersion ?? 'unknown',
      },
    };
  } catch {
    return null;
  }
}

/** Whether the engine still answers a ping (two tries, `timeoutMs` each: a busy engine is not a gone one). */
export async function engineAnswers(engine: Engine, timeoutMs = 5000): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await (await clientFor(engine.connection, timeoutMs)).ping();
      return true;
    } catch {
      // refused, no socket, or no answer in time: try once more
    }
  }
  return false;
}

/** Ping one address (a URL or a socket path); resolve to the engine, or null. */
export function probeEndpoint(endpoint: string, timeoutMs = 3000): Promise<Engine | null> {
  return probeCandidate({ address: parseEngineAddress(endpoint), source: endpoint, explicit: true }, timeoutMs);
}

/** The first engine that answers, or null. */
export async function findEngine(env: NodeJS.ProcessEnv = process.env): Promise<Engine | null> {
  for (const candidate of engineCandidates(env)) {
    const engine = await probeCandidate(candidate);
    if (engine) return engine;
  }
  return null;
}

/** The HTTP status an engine call failed with, if it was an engine answer at all. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}
