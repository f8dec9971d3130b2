/**
 * One scenario end to end, asserted from the engine's own records (inspect and its
 * event log), not from the harness's bookkeeping: the same naive program (no SIGTERM
 * handler) started in exec form and under tini, stopped with a grace period G.
 */
import { describe, expect, it } from 'vitest';
import { containerEvents } from '../harness/engine/events.js';
import { engineTimeMs } from '../harness/observe/clock.js';
import { READY_LOG } from '../harness/prepare.js';
import { RunningContainer } from '../harness/run/container.js';
import { harnessContext, imageOf } from './support/harness.js';

const G = 2;
const GRACE_MS = G * 1000;

async function stopAndInspect(variant: string) {
  const { session, runtime } = await harnessContext(G);
  const container = await RunningContainer.start(runtime, {
    image: imageOf(variant),
    purpose: 'subject',
    labels: { 'io.harness.check': 'shutdown-e2e', 'io.harness.variant': variant },
    env: { APP_MODE: 'naive' },
    readyLog: READY_LOG,
  });
  try {
    await container.stop(G);
    const info = await container.inspect();
    const events = await containerEvents(
      session,
      container.id,
      container.started.wallMs,
      (es) => es.some((e) => e.action === 'die'),
      60_000,
    );
    const kills = events.filter((e) => e.action === 'kill');
    const at = (e: { timeNano: number } | undefined) => (e ? e.timeNano / 1e6 : Number.NaN);
    const find = (action: string) => events.find((e) => e.action === action);
    // One clock, the engine's: its event times, and its own StartedAt/FinishedAt.
    const latencyMs = at(find('start')) - at(find('create'));
    return {
      running: info.State.Running,
      exitCode: info.State.ExitCode,
      killSignals: kills.map((e) => e.attributes.signal),
      // From the stop signal to the die event; and to FinishedAt, the engine's record.
      durationMs: at(find('die')) - at(kills[0]),
      finishedMs: engineTimeMs(info.State.FinishedAt) - at(kills[0]),
      killAfterMs: kills.length > 1 ? at(kills[1]) - at(kills[0]) : null,
      // The bands, from G and this container's create-to-start latency.
      gracefulMax: GRACE_MS / 2 + 2 * latencyMs,
      killedMax: GRACE_MS * 1.5 + 2 * latencyMs,
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
    // The engine waited the whole grace period before SIGKILL.
    expect(r.killAfterMs).toBeGreaterThanOrEqual(GRACE_MS);
    expect(r.durationMs).toBeGreaterThanOrEqual(GRACE_MS);
    expect(r.durationMs).toBeLessThanOrEqual(r.killedMax);
    expect(r.finishedMs).toBeGreaterThanOrEqual(GRACE_MS);
  });

  it('tini: SIGTERM is forwarded, the program dies of it (143) well within the grace period', async () => {
    const r = await stopAndInspect('tini');
    expect(r.running).toBe(false);
    expect(r.exitCode).toBe(143);
    expect(r.killSignals).toEqual(['15']);
    expect(r.durationMs).toBeGreaterThan(0);
    expect(r.durationMs).toBeLessThan(r.gracefulMax);
    expect(r.finishedMs).toBeLessThan(r.gracefulMax);
  });
});
