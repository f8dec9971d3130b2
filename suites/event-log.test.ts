/**
 * The run's event log: the engine keeps only its latest events for a later query (256
 * on Docker), so a container's create and start are gone from the engine's record once
 * enough has happened since; the log, subscribed before the run's first create, still
 * has them, and the stop judgement (the engine's create-to-start time) rests on it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execa } from 'execa';
import { RunningContainer } from '../harness/run/container.js';
import { harnessContext } from './support/harness.js';

/** More events than Docker's record keeps. */
const FLOOD = 300;

let container: RunningContainer;
let engineKind = 'docker';

beforeAll(async () => {
  const ctx = await harnessContext();
  engineKind = ctx.session.engine.info.kind;
  container = await RunningContainer.start(ctx.runtime, {
    image: inject('harness').baseImage,
    purpose: 'event-log-test',
    entrypoint: ['sleep', 'infinity'],
    cmd: [],
  });
  // SIGWINCH: PID 1 without a handler ignores it; each one is a kill event on the engine.
  for (let i = 0; i < FLOOD; i++) await container.signal('SIGWINCH');
});

afterAll(async () => {
  await container?.remove();
});

/** The engine's own record of the container's events, asked through the docker CLI. */
async function recorded(id: string, sinceMs: number): Promise<string[]> {
  const endpoint = inject('harness').endpoint;
  const host = /^[a-z]+:\/\//.test(endpoint) ? endpoint : `unix://${endpoint}`;
  const r = await execa(
    'docker',
    [
      'events',
      '--since',
      String(Math.floor(sinceMs / 1000) - 2),
      '--until',
      String(Math.ceil(Date.now() / 1000)),
      '--filter',
      `container=${id}`,
      '--format',
      '{{.Action}}',
    ],
    { env: { DOCKER_HOST: host }, timeout: 60_000 },
  );
  return r.stdout.split('\n').filter(Boolean);
}

describe('the run event log', () => {
  it(`keeps a container's create and start after ${FLOOD} later events`, async () => {
    const events = await container.events(
      (es) => es.filter((e) => e.action === 'kill').length >= FLOOD,
      `its ${FLOOD} kill events`,
    );
    const actions = events.map((e) => e.action);
    expect(actions.slice(0, 2)).toEqual(['create', 'start']);
    expect(actions.filter((a) => a === 'kill')).toHaveLength(FLOOD);
    expect(events.every((e, i) => i === 0 || e.timeNano >= (events[i - 1]?.timeNano ?? 0))).toBe(true);
    expect(await container.engineLatencyMs()).toBeGreaterThan(0);
  });

  it("while Docker's own record has lost them", async (ctx) => {
    // Podman keeps its events in a journal and loses none.
    if (engineKind !== 'docker') ctx.skip();
    const actions = await recorded(container.id, container.started.wallMs);
    expect(actions).not.toContain('create');
    expect(actions).not.toContain('start');
    expect(actions.length).toBeLessThanOrEqual(256);
  });
});
