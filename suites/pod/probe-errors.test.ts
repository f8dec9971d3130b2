/**
 * Probes the kubelet's prober cannot run are errors, thrown away (prober.go
 * runProbeWithRetries, worker.go doProbe), on the engine: an exec probe whose program
 * the image lacks (Docker's OCI runtime refuses the exec, where the CRI returns an RPC
 * error) and a probe on a port name the container does not declare (strconv's error).
 * Neither fails nor restarts the container, and neither makes it Ready.
 */
import { afterAll, expect, it, inject } from 'vitest';
import { parsePod } from '../../harness/pod/manifest.js';
import { PodRun } from '../../harness/pod/kubelet.js';
import { parseUntil } from '../../harness/pod/until.js';
import { closeCri, POD_RUNTIMES, runtimeContext } from '../support/harness.js';

afterAll(closeCri);

/**
 * The runtime's words for an exec it cannot start: Docker's OCI runtime error as the
 * exec's output; the CRI's RPC error, as the kubelet quotes it.
 */
const REFUSED = {
  docker:
    /^Liveness probe errored and resulted in unknown state: OCI runtime exec failed: .*"no-such-probe": executable file not found in \$PATH/,
  cri: /^Liveness probe errored and resulted in unknown state: rpc error: code = Unknown desc = failed to exec in container: .*"no-such-probe": executable file not found in \$PATH/,
};

const POD = (base: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: probe-errors
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${base}
      command: ['sleep', '600']
      livenessProbe:
        exec: { command: ['no-such-probe'] }
        periodSeconds: 1
        failureThreshold: 1
        # A busy engine can take more than the default 1 s to refuse the exec: that would
        # be a timeout (a failure), not the refusal this pod shows.
        timeoutSeconds: 20
      readinessProbe:
        tcpSocket: { port: http }
        periodSeconds: 1
`;

it.each(POD_RUNTIMES)(
  'on %s: an exec the runtime refuses and an undeclared port name are errors: never counted, never Ready',
  async (runtime) => {
    const ctx = await runtimeContext(runtime);
    const run = new PodRun(ctx.runtime, ctx.toolboxImage, parsePod(POD(inject('harness').baseImage), 'inline'), {
      deleteAfterSeconds: 120,
      backoffScale: 0.1,
      until: parseUntil('Unhealthy>=4'),
    });
    await run.run();
    expect(run.untilMet).toBe(true);
    // The CRI names each exec it could not start by its id: one message, whatever the id.
    const messages = [
      ...new Set(
        run.timeline.events
          .filter((e) => e.reason === 'Unhealthy')
          .map((e) => e.message.replace(/exec "[0-9a-f]{64}"/, 'exec "<id>"')),
      ),
    ];
    expect(messages.sort()).toEqual([
      // The runtime's own words for it, which its version chooses.
      expect.stringMatching(REFUSED[runtime]),
      'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "http": invalid syntax',
    ]);
    const timeline = run.timeline.events.map((e) => `${e.atMs.toFixed(0)} ms ${e.reason}: ${e.message}`).join('\n');
    expect(run.records.get('app'), timeline).toMatchObject({ restartCount: 0, ready: false });
    expect(run.timeline.events.filter((e) => /failed liveness probe/.test(e.message))).toEqual([]);
  },
);
