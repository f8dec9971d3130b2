/**
 * One scenario end to end, asserted from the engine's own records (inspect and its
 * event log), not from the harness's bookkeeping: the same naive program (no SIGTERM
 * handler) started in exec form and under tini, stopped with a grace period G.
 */
import { describe, expect, it } from 'vitest';
import { containerEvents } from '../harness/engine/containers.js';
import { engineTimeMs } from '../harness/observe/clock.js';
import { READY_LOG } from '../harness/prepare.js';
import { RunningContainer } from '../harness/run/container.js';
import { harnessContext, imageOf } from './support/harness.js';

const G = 2;
const GRACE_MS = G * 1000;
// SIGKILL lands G after the stop signal; the engine adds its own bookkeeping on top.
const KILLED_BAND = { min: GRACE_MS - 50, max: GRACE_MS + 1500 };
// "Well under the grace": a prompt exit takes a small fraction of G.
const GRACEFUL_MAX = GRACE_MS / 2;

async function stopAndInspect(variant: string) {
  const { session } = await harnessContext(G);
  const container = await RunningContainer.start(session, {
    image: imageOf(variant),
    purpose: 'subject',
    labels: { 'io.harness.check': 'shutdown-e2e', 'io.harness.variant': variant },
    env: { APP_MODE: 'naive' },
    readyLog: READY_LOG,
  });
  try {
    const requestedWallMs = Date.now();
    await container.stop(G);
    const info = await container.inspect();
    const events = await containerEvents(session, container.id, container.started.wallMs - 1000, Date.now());
    const killSignals = events.filter((e) => e.action === 'kill').map((e) => e.attributes.signal);
    return {
      running: info.State.Running,
      exitCode: info.State.ExitCode,
      durationMs: engineTimeMs(info.State.FinishedAt) - requestedWallMs,
      killSignals,
    };
  } finally {
    await container.remove();
  }
}

describe(`stop with a ${G} s grace period, program without a SIGTERM handler`, () => {
  it('exec form: PID 1 ignores SIGTERM, the engine needs SIGKILL after the grace period (137)', async () => {
    const r = await stopAndInspect('exec-form');
    expect(r.running).toBe(false);
    expect(r.exitCode).toBe(137);
    expect(r.killSignals).toEqual(['15', '9']);
    expect(r.durationMs).toBeGreaterThanOrEqual(KILLED_BAND.min);
    expect(r.durationMs).toBeLessThanOrEqual(KILLED_BAND.max);
  });

  it('tini: SIGTERM is forwarded, the program dies of it (143) well within the grace period', async () => {
    const r = await stopAndInspect('tini');
    expect(r.running).toBe(false);
    expect(r.exitCode).toBe(143);
    expect(r.killSignals).toEqual(['15']);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeLessThan(GRACEFUL_MAX);
  });
});
