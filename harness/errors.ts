/**
 * The harness's error classes. Each has a stable `code` that callers branch on and the
 * process exit code the CLI maps it to (0 pass, 1 a check failed, 2 bad input or
 * environment). Checks never throw on a failed expectation: they report it.
 */
export type ExitCode = 0 | 1 | 2;

export class HarnessError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  /** Longer context (build output, engine log tail) shown below the one-line message. */
  readonly detail?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { exitCode?: ExitCode; detail?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 2;
    this.detail = options.detail;
  }
}

/** No container engine answers, or it cannot be brought up. */
export class EngineUnavailableError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('ENGINE_UNAVAILABLE', message, options);
  }
}

/** The user asked for something that cannot be (unknown option, image, variant...). */
export class BadInputError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('BAD_INPUT', message, options);
  }
}

/** An image build failed; `detail` holds the failing step's output. */
export class BuildFailedError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('BUILD_FAILED', message, options);
  }
}

/** Making the machine ready (engine install, base bootstrap) failed. */
export class SetupError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('SETUP_FAILED', message, options);
  }
}

/** A scenario could not be carried out (engine error, timeout): never a behaviour. */
export class ScenarioError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('SCENARIO_ERROR', message, options);
  }
}

/** A container that was not started because what it was for ended first (its pod's deletion began). */
export class StartCancelledError extends ScenarioError {
  constructor(what: string) {
    super(`${what} was not started: what it was for ended first`);
  }
}

/** The engine answers but the harness's own images are missing or stale (`doctor`). */
export class NotReadyError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('NOT_READY', message, options);
  }
}

/** The image cannot be certified: it does not run long enough to be tested. */
export class ImageNotRunnableError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('IMAGE_NOT_RUNNABLE', message, options);
  }
}

/** Required checks of a certification could not be carried out: no verdict either way. */
export class CertifyIncompleteError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('CERTIFY_INCOMPLETE', message, options);
  }
}

/** Something the harness itself relies on did not hold (its own helper, its slot server). */
export class HarnessFaultError extends HarnessError {
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('HARNESS_FAULT', message, options);
  }
}

/** Every code a HarnessError can carry, for callers that branch on it. */
export const ERROR_CODES = [
  'ENGINE_UNAVAILABLE',
  'BAD_INPUT',
  'BUILD_FAILED',
  'SETUP_FAILED',
  'SCENARIO_ERROR',
  'NOT_READY',
  'IMAGE_NOT_RUNNABLE',
  'CERTIFY_INCOMPLETE',
  'HARNESS_FAULT',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Full text of an error including its detail, for logs and thrown test failures. */
export function describeError(err: unknown): string {
  if (err instanceof HarnessError) return err.detail ? `${err.message}\n${err.detail}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Everything an error says, one entry per line of the chain: its message, its detail
 * (a sidecar's output, a build's failing step) and each cause's, so a scenario that
 * could not be carried out keeps the reason in its evidence.
 */
export function errorNotes(err: unknown): string[] {
  const notes: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && !seen.has(e) && depth < 5; depth++) {
    seen.add(e);
    const message = e instanceof Error ? e.message : String(e);
    notes.push(depth === 0 ? message : `caused by: ${message}`);
    if (e instanceof HarnessError && e.detail) notes.push(e.detail);
    e = e instanceof Error ? e.cause : undefined;
  }
  return notes;
}
