/**
 * A container the engine cannot run (its image does not exist) deletes the pod: its
 * sibling goes through the termination sequence instead of running on after the run
 * has ended, and nothing of the pod is left on the engine.
 */
import { expect, it, inject } from 'vitest';
import { runContainers } from '../../harness/engine/session.js';
import { parsePod } from '../../harness/pod/manifest.js';
import { PodRun } from '../../harness/pod/kubelet.js';
import { harnessContext } from '../support/harness.js';

const POD = (base: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: failed-start
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${base}
      command: ['sleep', '600']
    - name: broken
      image: harness/no-such-image:missing
`;

it('a container that cannot start deletes the pod: the sibling is terminated, nothing is left', async () => {
  const ctx = await harnessContext();
  const run = new PodRun(ctx.runtime, ctx.toolboxImage, parsePod(POD(inject('harness').baseImage), 'inline'), {
    deleteAfterSeconds: 180,
    backoffScale: 0.1,
  });
  const err = await run.run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the run names the failure').toBeInstanceOf(Error);
  const deleting = run.timeline.events.find((e) => e.reason === 'Deleting');
  expect(deleting?.message).toMatch(/container broken could not be run/);
  // The sibling was started (its start was in flight) and then terminated by the deletion.
  expect(run.timeline.events.some((e) => e.reason === 'Killing' && e.container === 'app')).toBe(true);
  expect(await runContainers(ctx.session, { 'io.harness.pod': 'failed-start' })).toEqual([]);
});
