/**
 * `harness pod run --runtime cri` as a user runs it: the pod's sandbox is the runtime's
 * own (RunPodSandbox), so a container sees what it would on a node: the pod name as its
 * hostname, the cluster's DNS search path (and no name server: nothing resolves off the
 * machine), and the pod IP the CNI gave the sandbox on the harness's bridge, which is
 * what pod.json reports. The pod reaches neither the host (a connection to a server the
 * test opens on every interface fails) nor, through it, anything off the bridge.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterAll, expect, inject, it } from 'vitest';
import { CRI_SUBNET } from '../../harness/cri/containerd.js';
import { projectRoot } from '../../harness/paths.js';

const work = mkdtempSync(join(tmpdir(), 'harness-cri-identity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const POD = (base: string, port: number) => `
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
    - name: reach-host
      image: ${base}
      command: ['sleep', '600']
      env:
        - name: POD_IP
          valueFrom: { fieldRef: { fieldPath: status.podIP } }
      # Ready once a connection to the host (the bridge's address, .1 of the pod's /24)
      # on the test's port has failed; "connected" fails it.
      readinessProbe:
        exec:
          command:
            - python3
            - -c
            - |
              import os, socket, sys
              host = '.'.join(os.environ['POD_IP'].split('.')[:3] + ['1'])
              try:
                  socket.create_connection((host, ${port}), 2)
              except OSError as e:
                  print('not reached:', host, e); sys.exit(0)
              print('connected', host); sys.exit(1)
        timeoutSeconds: 5
        periodSeconds: 1
`;

it.skipIf(!inject('harness').criSocket)(
  "a pod on the CRI has the pod name as hostname, the cluster's search path and the CNI's pod IP",
  async () => {
    const file = join(work, 'pod.yaml');
    // A server on every interface of the host: a pod must not be able to open a connection to it.
    const server = createServer((socket) => {
      reached++;
      socket.destroy();
    });
    let reached = 0;
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as AddressInfo).port;
    writeFileSync(file, POD(inject('harness').baseImage, port));
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
        '--until',
        'reach-host.ready',
        '--no-faceoff',
        '--out',
        out,
      ],
      { reject: false, env: { HARNESS_QUIET_BUILD: '1' } },
    );
    server.close();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^stopped when app\.ready and reach-host\.ready held$/m);
    expect(reached).toBe(0);
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
