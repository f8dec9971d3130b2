import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { closeHarness } from 'container-lifecycle-harness';
import 'container-lifecycle-harness/vitest';

// The service as a testcontainers suite already describes it (no network: it needs none).
const service = new GenericContainer(process.env.SERVICE_IMAGE ?? 'example/service:good')
  .withEnvironment({ PORT: '8080' })
  .withNetworkMode('none')
  .withWaitStrategy(Wait.forLogMessage('service ready'));

afterAll(() => closeHarness());

// Not started: the harness runs fresh copies of it (its environment, command and wait
// strategy), one per check.
describe('our service, as its testcontainers description runs it', () => {
  it('shuts down gracefully within a 5 s grace period', async () => {
    await expect(service).toStopGracefully({ grace: 5 });
  });

  it('reaps the orphans it adopts as PID 1', async () => {
    await expect(service).toReapZombies();
  });
});

// Started by the suite: the checks act on that very container. The one that stops it
// comes last.
describe('our service, started as the suite runs it', () => {
  let started: StartedTestContainer;
  beforeAll(async () => {
    started = await service.start();
  });
  afterAll(() => started?.stop());

  it('reaps the orphans it adopts as PID 1, running', async () => {
    await expect(started).toReapZombies();
  });

  it('then shuts down gracefully on its stop signal', async () => {
    await expect(started).toStopGracefully({ grace: 5 });
  });
});
