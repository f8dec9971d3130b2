import { existsSync } from 'node:fs';
import type Docker from 'dockerode';

/** What answers on the other end of the socket. */
export interface EngineInfo {
  kind: 'docker' | 'podman';
  version: string;
  apiVersion: string;
  /** Where it answered: a unix socket path or a tcp:// address. */
  endpoint: string;
  /** Whether the engine runs cgroup v1 or v2 (zombie and pids accounting differ). */
  cgroupVersion: string;
}

export interface Engine {
  /** The engine client: only harness/engine/ talks to it. */
  docker: Docker;
  info: EngineInfo;
}

/** Anything that knows its engine (an Engine's holder: a Session, a doctor's probe). */
export interface OnEngine {
  readonly engine: Engine;
}

/** Where to look for an engine, in order: DOCKER_HOST, Docker's socket, Podman's. */
export function candidateEndpoints(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (env.DOCKER_HOST) out.push(env.DOCKER_HOST);
  out.push('/var/run/docker.sock');
  if (env.XDG_RUNTIME_DIR) out.push(`${env.XDG_RUNTIME_DIR}/podman/podman.sock`);
  out.push('/run/podman/podman.sock');
  return [...new Set(out)];
}

/**
 * The engine client's module, loaded on first use: the report writers and the check
 * definitions they read never pay for it.
 */
async function clientFor(endpoint: string, timeoutMs?: number): Promise<Docker> {
  const { default: Docker } = await import('dockerode');
  const m = /^(tcp|http|https):\/\/([^:/]+)(?::(\d+))?/.exec(endpoint);
  if (m) {
    return new Docker({
      host: m[2],
      port: m[3] ? Number(m[3]) : 2375,
      protocol: m[1] === 'https' ? 'https' : 'http',
      timeout: timeoutMs,
    });
  }
  const socketPath = endpoint.replace(/^unix:\/\//, '');
  return new Docker({ socketPath, timeout: timeoutMs });
}

/** Ping one endpoint; resolve to the engine, or null when nothing answers. */
export async function probeEndpoint(endpoint: string, timeoutMs = 3000): Promise<Engine | null> {
  const path = endpoint.replace(/^unix:\/\//, '');
  if (!/^(tcp|http|https):/.test(endpoint) && !existsSync(path)) return null;
  try {
    const probe = await clientFor(endpoint, timeoutMs);
    await probe.ping();
    const version = await probe.version();
    const components = (version as { Components?: { Name: string }[] }).Components ?? [];
    const kind = components.some((c) => /podman/i.test(c.Name)) ? 'podman' : 'docker';
    const info = (await probe.info()) as { CgroupVersion?: string };
    return {
      // A client without a socket timeout: builds and waits legitimately take minutes.
      docker: await clientFor(endpoint),
      info: {
        kind,
        version: version.Version,
        apiVersion: version.ApiVersion,
        endpoint,
        cgroupVersion: info.CgroupVersion ?? 'unknown',
      },
    };
  } catch {
    return null;
  }
}

/** The first engine that answers, or null. */
export async function findEngine(env: NodeJS.ProcessEnv = process.env): Promise<Engine | null> {
  for (const endpoint of candidateEndpoints(env)) {
    const engine = await probeEndpoint(endpoint);
    if (engine) return engine;
  }
  return null;
}

/** The HTTP status an engine call failed with, if it was an engine answer at all. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}
