/**
 * `harness pod run --runtime cri` as a user runs it: the pod's sandbox is the runtime's
 * own (RunPodSandbox), so a container sees what it would on a node: the pod name as its
 * hostname, the cluster's DNS search path (and no name server: nothing resolves off the
 * machine), and the pod IP the CNI gave the sandbox on the harness's bridge, which is
 * what pod.json reports.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, inject, it } from 'vitest';
import { CRI_SUBNET } from '../../harness/cri/containerd.js';
import { projectRoot } from '../../harness/paths.js';

const work = mkdtempSync(join(tmpdir(), 'harness-cri-identity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const POD = (base: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: cri-identity
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${base}
      command: ['sleep', '600']
      env:
        - name: POD_IP
          valueFrom: { fieldRef: { fieldPath: status.podIP } }
      readinessProbe:
        exec:
          command:
            - sh
            - -c
            - >-
              test "$(hostname)" = cri-identity &&
              grep -qx 'search default.svc.cluster.local svc.cluster.local cluster.local' /etc/resolv.conf &&
              ! grep -q nameserver /etc/resolv.conf &&
              grep -q "$POD_IP" /proc/net/fib_trie
        periodSeconds: 1
`;

it.skipIf(!inject('harness').criSocket)(
  "a pod on the CRI has the pod name as hostname, the cluster's search path and the CNI's pod IP",
  async () => {
    const file = join(work, 'pod.yaml');
    writeFileSync(file, POD(inject('harness').baseImage));
    const out = join(work, 'out');
    const r = await execa(
      'node',
      [
        join(projectRoot(), 'bin/harness.mjs'),
        'pod',
        'run',
        file,
        '--runtime',
        'cri',
        '--until',
        'app.ready',
        '--no-faceoff',
        '--out',
        out,
      ],
      { reject: false, env: { HARNESS_QUIET_BUILD: '1' } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^stopped when app\.ready held$/m);
    const pod = JSON.parse(readFileSync(join(out, 'pod.json'), 'utf8')) as {
      status: { podIP: string };
      emulation: { runtime: string };
      events: { reason: string; message: string }[];
    };
    // An address of the harness's subnet (a /24: its first three octets).
    const net = CRI_SUBNET.replace(/\.0\/24$/, '').replaceAll('.', '\\.');
    expect(pod.status.podIP).toMatch(new RegExp(`^${net}\\.\\d+$`));
    expect(pod.emulation.runtime).toMatch(/^cri \(containerd \S+\)$/);
    expect(pod.events.find((e) => e.reason === 'SandboxReady')?.message).toContain(`pod IP ${pod.status.podIP}`);
  },
);
