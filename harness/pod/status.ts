import type { ContainerRecord, PodRun } from './kubelet.js';

function containerStatus(r: ContainerRecord) {
  return {
    name: r.name,
    image: r.image,
    containerID: r.containerId ? `docker://${r.containerId}` : undefined,
    ready: r.ready,
    started: r.init ? undefined : r.started,
    restartCount: r.restartCount,
    state: r.state,
    lastState: r.lastState ?? {},
  };
}

/** The pod's status in the shape of the Kubernetes PodStatus. */
export function podStatus(run: PodRun) {
  const apps = run.spec.containers.map((c) => run.records.get(c.name) as ContainerRecord);
  const inits = run.spec.initContainers.map((c) => run.records.get(c.name) as ContainerRecord);
  const allReady = apps.every((r) => r.ready);
  const cond = (type: string, ok: boolean, reason?: string) => ({
    type,
    status: ok ? 'True' : 'False',
    ...(ok || !reason ? {} : { reason }),
  });
  return {
    phase: run.phase,
    conditions: [
      cond('PodScheduled', true),
      cond('Initialized', run.initialized, 'ContainersNotInitialized'),
      cond('ContainersReady', allReady, 'ContainersNotReady'),
      cond('Ready', allReady && !run.terminating, 'ContainersNotReady'),
    ],
    initContainerStatuses: inits.map(containerStatus),
    containerStatuses: apps.map(containerStatus),
  };
}

/** What a plain engine cannot do as the kubelet does, said in the output. */
export const EMULATION_NOTES = [
  'The pod IP is the sandbox loopback (127.0.0.1): httpGet/tcpSocket probes and hooks run from inside the pod network namespace, not from the node.',
  'grpc probes are not emulated (reported as failures).',
  'Exec probes and exec hooks run through the engine exec API; with shareProcessNamespace they appear in the pod process table while they run.',
  'Back-off delays are the kubelet ones multiplied by backoffScale; the 10-minute reset is not emulated.',
  'Resource requests and limits, volumes, service account and image pull policy are not emulated.',
];
