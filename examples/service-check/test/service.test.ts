import { afterAll, describe, expect, it } from 'vitest';
import { closeHarness } from 'container-lifecycle-harness';
import 'container-lifecycle-harness/vitest';

// SERVICE_IMAGE=example/service:bad npm test shows what a failure looks like.
const image = { image: process.env.SERVICE_IMAGE ?? 'example/service:good', readyLog: 'service ready' };

afterAll(() => closeHarness());

describe('our service at the edges of its life', () => {
  it('shuts down gracefully within a 5 s grace period', async () => {
    await expect(image).toStopGracefully({ grace: 5 });
  });

  it('exits 0 on its stop signal', async () => {
    await expect(image).toExitWith(0, { grace: 5 });
  });

  it('acts on SIGINT (Ctrl-C in a terminal, docker kill -s INT)', async () => {
    await expect(image).toForwardSignal('SIGINT');
  });

  it('reaps the orphans it adopts as PID 1', async () => {
    await expect(image).toReapZombies();
  });
});
