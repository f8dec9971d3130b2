import { afterAll, describe, expect, it } from 'vitest';
import { GenericContainer, Wait } from 'testcontainers';
import { closeHarness } from 'container-lifecycle-harness';
import 'container-lifecycle-harness/vitest';

// The service as a testcontainers suite already describes it: the harness runs fresh
// copies of this container (its environment, command and wait strategy), one per check,
// and never starts this one.
const service = new GenericContainer(process.env.SERVICE_IMAGE ?? 'example/service:good')
  .withEnvironment({ PORT: '8080' })
  .withWaitStrategy(Wait.forLogMessage('service ready'));

afterAll(() => closeHarness());

describe('our service, as its testcontainers description runs it', () => {
  it('shuts down gracefully within a 5 s grace period', async () => {
    await expect(service).toStopGracefully({ grace: 5 });
  });

  it('reaps the orphans it adopts as PID 1', async () => {
    await expect(service).toReapZombies();
  });
});
