import { BadInputError } from './errors.js';
import type { RunOptions } from './certify/run-options.js';

/**
 * A testcontainers container description read as an image under test: what a team that
 * already describes its service with testcontainers hands the harness. The harness runs
 * fresh copies of it, one per scenario, never the description itself: the image, its
 * environment, command, entrypoint, user and working folder, and its wait strategy as
 * the readiness (a log message as the ready line, listening ports as the ready port).
 *
 * A started container (StartedTestContainer) is acted on as it runs instead: the checks
 * attach to it by id, and one that stops it (graceful-stop, exit-code) leaves it
 * stopped, so that one comes last.
 *
 * Read by shape (the fields a GenericContainer keeps), so the library never loads
 * testcontainers itself and any version with those fields works.
 */
/**
 * A testcontainers GenericContainer as callers hold it (its public face: the fields the
 * harness reads are protected in its type, read here by shape).
 */
export interface GenericContainerDescription {
  start(): Promise<unknown>;
  withWaitStrategy(waitStrategy: never): unknown;
}

/** The fields of a GenericContainer the harness reads. */
interface GenericContainerLike {
  imageName: { string: string };
  createOpts: { Cmd?: string[]; Entrypoint?: string[]; User?: string; WorkingDir?: string };
  environment?: Record<string, string>;
  waitStrategy?: object;
  exposedPorts?: unknown[];
  startupTimeoutMs?: number;
}

/** What the harness makes of a GenericContainer: its image and run options, and what it left out. */
export interface FromContainer extends RunOptions {
  image: string;
  /** Parts of the description the harness does not apply (said in a failure's message). */
  unused: string[];
}

/** Whether `value` is a testcontainers GenericContainer (by its shape). */
export function isGenericContainer(value: unknown): value is GenericContainerDescription {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<GenericContainerLike>;
  return typeof c.imageName?.string === 'string' && typeof c.createOpts === 'object' && c.createOpts !== null;
}

/** A started testcontainers container, as callers hold it (StartedTestContainer). */
export interface StartedContainerDescription {
  getId(): string;
  getHost(): string;
  stop(): Promise<unknown>;
}

/** Whether `value` is a started testcontainers container (it has an id and can be stopped). */
export function isStartedContainer(value: unknown): value is StartedContainerDescription {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as { getId?: unknown; stop?: unknown; getHost?: unknown };
  return typeof c.getId === 'function' && typeof c.stop === 'function' && typeof c.getHost === 'function';
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The first container port a GenericContainer exposes (8080, "8080/tcp", {container: 8080}). */
function firstPort(ports: readonly unknown[]): number | undefined {
  for (const p of ports) {
    const n =
      typeof p === 'number'
        ? p
        : typeof p === 'string'
          ? Number.parseInt(p, 10)
          : typeof p === 'object' && p !== null
            ? Number((p as { container?: unknown }).container)
            : NaN;
    if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  }
  return undefined;
}

/** A GenericContainer's image and run options, as the harness runs fresh copies of it. */
export function fromGenericContainer(container: GenericContainerDescription): FromContainer {
  if (!isGenericContainer(container)) throw new BadInputError('not a testcontainers GenericContainer');
  const c = container as unknown as GenericContainerLike;
  const unused: string[] = [];
  const env = c.environment && Object.keys(c.environment).length ? { ...c.environment } : undefined;
  const wait = c.waitStrategy as { constructor?: { name?: string }; message?: unknown; times?: unknown } | undefined;
  const kind = wait?.constructor?.name ?? '';
  let readiness: Pick<RunOptions, 'readyLog' | 'readyPort'> = {};
  if (wait && (typeof wait.message === 'string' || wait.message instanceof RegExp)) {
    readiness = {
      readyLog: typeof wait.message === 'string' ? escapeRegex(wait.message) : (wait.message as RegExp).source,
    };
    if (typeof wait.times === 'number' && wait.times > 1) unused.push(`its log wait's count (${wait.times} times)`);
  } else if (!wait || kind === 'HostPortWaitStrategy') {
    // testcontainers' default: the exposed ports listening.
    const port = firstPort(c.exposedPorts ?? []);
    if (port) readiness = { readyPort: port };
  } else unused.push(`its wait strategy (${kind || 'custom'}): readiness is read from the processes instead`);
  if (c.createOpts.WorkingDir) unused.push(`its working folder (${c.createOpts.WorkingDir})`);
  return {
    image: c.imageName.string,
    ...(env ? { env } : {}),
    ...(c.createOpts.Cmd ? { cmd: [...c.createOpts.Cmd] } : {}),
    ...(c.createOpts.Entrypoint ? { entrypoint: [...c.createOpts.Entrypoint] } : {}),
    ...(c.createOpts.User ? { user: c.createOpts.User } : {}),
    ...readiness,
    unused,
  };
}

/** A started container where an image to run is asked for: say what each takes. */
export function startedContainerError(): BadInputError {
  return new BadInputError(
    'a started testcontainers container is not an image to run: runCheck and the matchers act on it as it runs; for fresh copies, pass its GenericContainer (not started)',
  );
}
