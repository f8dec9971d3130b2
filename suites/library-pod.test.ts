/**
 * The library's runPod on both runtimes: the same manifest, its status and timeline in
 * the same shape; on the CRI the pod IP is the one the CNI gave its sandbox.
 */
import { afterAll, expect, inject, it } from 'vitest';
import { closeHarness, runPod } from '../harness/index.js';
import { CRI_SUBNET } from '../harness/cri/containerd.js';

afterAll(closeHarness);

const POD = (base: string) => `
apiVersion: v1
kind: Pod
metadata: {name: library-pod}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${base}
      command: ['sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait']
`;

const runtimes = inject('harness').criSocket ? (['docker', 'cri'] as const) : (['docker'] as const);

it.each(runtimes)('runPod on %s: the app container starts, and exits 0 on the deletion', async (runtime) => {
  // Deleted once the app container is ready (the image may first move into containerd).
  const r = await runPod(POD(inject('harness').baseImage), { until: ['app.ready'], runtime });
  expect(r.untilMet).toBe(true);
  expect(r.events.filter((e) => e.reason === 'Started').map((e) => e.container)).toEqual(['app']);
  expect(r.status.containerStatuses[0]?.state).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
  if (runtime === 'cri') expect((r.status.podIP ?? '').startsWith(CRI_SUBNET.replace(/0\/24$/, ''))).toBe(true);
});
