/**
 * Containers the runtime cannot run do not end the run, as on a node: an image that is
 * neither present nor pullable waits in ErrImagePull / ImagePullBackOff (the pod stays
 * Pending), a command the image does not have is a StartError restarted with back-off
 * (CrashLoopBackOff), and their sibling runs on until the pod is deleted; nothing of
 * the pod is left on the engine. The pull goes to a registry on the loopback interface
 * that is not there, so nothing leaves the machine.
 */
import { afterAll, expect, it, inject } from 'vitest';
import { runContainers } from '../../harness/engine/session.js';
import { parsePod } from '../../harness/pod/manifest.js';
import { PodRun } from '../../harness/pod/kubelet.js';
import { parseUntil, type PodCondition } from '../../harness/pod/until.js';
import { CriRuntime } from '../../harness/runtime/cri.js';
import { closeCri, POD_RUNTIMES, runtimeContext } from '../support/harness.js';

afterAll(closeCri);

const MISSING = '127.0.0.1:9/harness/no-such-image:missing';

/** Both conditions (each container's back-off seen once). */
const both = (a: PodCondition, b: PodCondition): PodCondition => ({
  text: `${a.text} and ${b.text}`,
  holds: (pod) => a.holds(pod) && b.holds(pod),
});

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
    - name: unpullable
      image: ${MISSING}
    - name: broken
      image: ${base}
      command: ['no-such-program']
`;

it.each(POD_RUNTIMES)(
  'on %s: an unpullable image and a missing program wait and back off; the sibling runs on; nothing is left',
  async (runtime) => {
    const ctx = await runtimeContext(runtime);
    const run = new PodRun(ctx.runtime, ctx.toolboxImage, parsePod(POD(inject('harness').baseImage), 'inline'), {
      deleteAfterSeconds: 120,
      backoffScale: 0.1,
      until: both(parseUntil('unpullable.BackOff>=1'), parseUntil('broken.BackOff>=1')),
    });
    await run.run();
    expect(run.untilMet).toBe(true);
    const of = (c: string) =>
      run.timeline.events.filter((e) => e.container === c).map((e) => `${e.type} ${e.reason}: ${e.message}`);
    expect(of('unpullable').slice(0, 3)).toEqual([
      `Normal Pulling: Pulling image "${MISSING}"`,
      expect.stringMatching(
        new RegExp(`^Warning Failed: Failed to pull image "${MISSING.replace(/[.]/g, '\\.')}": .+`),
      ),
      'Warning Failed: Error: ErrImagePull',
    ]);
    expect(of('unpullable')).toContain('Warning Failed: Error: ImagePullBackOff');
    expect(of('broken')).toContainEqual(
      expect.stringMatching(/^Warning Failed: Error: .*"no-such-program": executable file not found in \$PATH/),
    );
    expect(run.records.get('broken')?.lastState).toMatchObject({ terminated: { exitCode: 128, reason: 'StartError' } });
    expect(of('broken')).toContain(
      `Warning BackOff: Back-off restarting failed container broken in pod failed-start_default(${run.spec.uid})`,
    );
    expect(run.records.get('app')?.restartCount).toBe(0);
    const pod = { 'io.harness.pod': 'failed-start' };
    expect(await runContainers(ctx.session, pod)).toEqual([]);
    if (ctx.runtime instanceof CriRuntime) {
      expect(await ctx.runtime.client.listContainers(pod)).toEqual([]);
      expect(await ctx.runtime.client.listPodSandboxes(pod)).toEqual([]);
    }
  },
);
