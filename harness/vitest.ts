/**
 * Vitest matchers over the harness's checks, for your own suites:
 *
 *   import 'container-lifecycle-harness/vitest';
 *   it('my service shuts down', async () => {
 *     await expect('my/service:1.4').toStopGracefully({ grace: 5, env: { PORT: '8080' } });
 *     await expect('my/service:1.4').toReapZombies();
 *     await expect('my/service:1.4').toForwardSignal('SIGINT');
 *     await expect('my/service:1.4').toExitWith(0);
 *   }, 180_000);
 *
 * The received value is an image reference, `{ image, env, cmd, user, readyPort, ... }`,
 * a testcontainers GenericContainer (not started: the harness runs fresh copies of it
 * with its environment, command, entrypoint, user and wait strategy), or a started
 * testcontainers container (acted on as it runs; a matcher that stops it, such as
 * toStopGracefully, comes last).
 * Each matcher runs one check in a fresh container (seconds, not milliseconds: give the
 * test a timeout); a failure says what was observed, with the engine's evidence.
 */
import { expect } from 'vitest';
import { evidenceLine } from './certify/evidence.js';
import type { Observation } from './checks/observation.js';
import { runCheck, type CheckOptions, type ImageUnderTest } from './index.js';
import {
  fromGenericContainer,
  isGenericContainer,
  isStartedContainer,
  type GenericContainerDescription,
  type StartedContainerDescription,
} from './testcontainers.js';

type Received = string | ImageUnderTest | GenericContainerDescription | StartedContainerDescription;

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

const nameOf = (r: Received) =>
  typeof r === 'string'
    ? r
    : isGenericContainer(r)
      ? `${fromGenericContainer(r).image} (a GenericContainer)`
      : isStartedContainer(r)
        ? `container ${r.getId().slice(0, 12)}`
        : r.image;

function isImage(r: unknown): r is Received {
  return (
    typeof r === 'string' ||
    isGenericContainer(r) ||
    isStartedContainer(r) ||
    (typeof r === 'object' && r !== null && typeof (r as ImageUnderTest).image === 'string')
  );
}

function verdictOf(
  received: unknown,
  what: string,
  o: Observation<Record<string, unknown>>,
  ok: boolean,
  isNot: boolean,
): MatcherResult {
  const ev = evidenceLine(o);
  const unused = isGenericContainer(received) ? fromGenericContainer(received).unused : [];
  const said = `${o.check}${o.scenario ? ` (${o.scenario})` : ''}: ${o.reason}${ev ? `\n  evidence: ${ev}` : ''}\n  observed: ${JSON.stringify(o.observed)}${unused.length ? `\n  not applied from the GenericContainer: ${unused.join('; ')}` : ''}`;
  return {
    pass: ok,
    message: () => `expected ${nameOf(received as Received)} ${isNot ? 'not ' : ''}${what}\n  ${said}`,
  };
}

async function check(
  received: unknown,
  checkName: string,
  what: string,
  options: CheckOptions,
  isNot: boolean,
  ok: (o: Observation<Record<string, unknown>>) => boolean = (o) => o.verdict === 'pass',
): Promise<MatcherResult> {
  if (!isImage(received))
    return {
      pass: false,
      message: () =>
        `expected an image reference, { image, ... } or a testcontainers GenericContainer, got ${JSON.stringify(received)}`,
    };
  const o = await runCheck(received, checkName, options);
  if (o.verdict === 'error')
    throw new Error(`${checkName} could not be carried out on ${nameOf(received)}: ${o.reason}`);
  return verdictOf(received, what, o, ok(o), isNot);
}

export const harnessMatchers = {
  /** Stops on its stop signal within the grace period, with no SIGKILL and an accepted exit code. */
  async toStopGracefully(this: { isNot: boolean }, received: unknown, options: CheckOptions = {}) {
    const grace = options.grace ?? 10;
    return check(received, 'graceful-stop', `to stop gracefully within a ${grace} s grace period`, options, this.isNot);
  },
  /** Reaps an orphan re-parented to PID 1 (a static helper exec'd into the container makes one). */
  async toReapZombies(this: { isNot: boolean }, received: unknown, options: CheckOptions = {}) {
    return check(received, 'zombie-reaping', 'to reap orphaned zombies', options, this.isNot);
  },
  /** Acts on `signal` (SIGTERM or SIGINT) sent to PID 1: the program sees it and exits. */
  async toForwardSignal(this: { isNot: boolean }, received: unknown, signal = 'SIGTERM', options: CheckOptions = {}) {
    return check(received, 'signal-forwarding', `to act on ${signal}`, { ...options, scenario: signal }, this.isNot);
  },
  /** Exits with `code` when sent its stop signal (0: a clean shutdown; 143: died of SIGTERM). */
  async toExitWith(this: { isNot: boolean }, received: unknown, code: number, options: CheckOptions = {}) {
    return check(
      received,
      'exit-code',
      `to exit with ${code} on its stop signal`,
      { ...options, policy: { ...options.policy, acceptedExitCodes: [code] } },
      this.isNot,
      (o) => o.observed.exitCode === code,
    );
  },
};

expect.extend(harnessMatchers);

interface HarnessMatchers<R = unknown> {
  toStopGracefully(options?: CheckOptions): Promise<R>;
  toReapZombies(options?: CheckOptions): Promise<R>;
  toForwardSignal(signal?: 'SIGTERM' | 'SIGINT', options?: CheckOptions): Promise<R>;
  toExitWith(code: number, options?: CheckOptions): Promise<R>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends HarnessMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends HarnessMatchers {}
}
