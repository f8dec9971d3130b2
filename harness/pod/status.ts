import type { Container } from 'kubernetes-types/core/v1.js';
import type { Timeline } from './events.js';
import { isSidecar, type PodSpecResolved } from './manifest.js';
import type { ProbeResult } from './prober/results.js';

/**
 * The pod's status as the kubelet computes it, in pure functions: the phase
 * (pkg/kubelet/kubelet_pods.go getPhase), the conditions (pkg/kubelet/status/generate.go)
 * and the container statuses (convertToAPIContainerStatuses).
 */

export type State =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; startedAt: string; finishedAt: string; message?: string } };

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** What the emulator knows about one container (init, sidecar or app) of the pod. */
export interface ContainerRecord {
  name: string;
  image: string;
  kind: 'init' | 'sidecar' | 'app';
  restartCount: number;
  started: boolean;
  ready: boolean;
  state: State;
  lastState: State | null;
  containerId: string | null;
}

const running = (s: State): s is { running: { startedAt: string } } => 'running' in s;
const terminated = (
  s: State | null,
): s is { terminated: { exitCode: number; reason: string; startedAt: string; finishedAt: string } } =>
  !!s && 'terminated' in s;

/** kubecontainer.HasAnyRegularContainerStarted: an app container ran at least once. */
function anyAppStarted(spec: PodSpecResolved, records: ReadonlyMap<string, ContainerRecord>): boolean {
  return spec.containers.some((c) => {
    const r = records.get(c.name);
    return !!r && (running(r.state) || terminated(r.state) || terminated(r.lastState));
  });
}

/** The pod's phase from its container statuses (getPhase, Kubernetes 1.33). */
export function getPhase(
  spec: PodSpecResolved,
  records: ReadonlyMap<string, ContainerRecord>,
  podIsTerminal: boolean,
): PodPhase {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const c of spec.initContainers) {
    if (isSidecar(c)) continue;
    const r = records.get(c.name);
    if (!r) pendingInitialization++;
    else if (running(r.state)) pendingInitialization++;
    else if (terminated(r.state)) {
      if (r.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (terminated(r.lastState)) {
      if (r.lastState.terminated.exitCode !== 0) failedInitialization++;
    } else pendingInitialization++;
  }
  let unknown = 0;
  let runningCount = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers) {
    if (!isSidecar(c)) continue;
    const r = records.get(c.name);
    if (!r) {
      unknown++;
      continue;
    }
    if (running(r.state)) {
      if (!r.started) pendingInitialization++;
      runningCount++;
    } else if (terminated(r.state)) {
      // terminated sidecars are ignored
    } else if (!terminated(r.lastState)) {
      pendingInitialization++;
      waiting++;
    }
  }
  for (const c of spec.containers) {
    const r = records.get(c.name);
    if (!r) {
      unknown++;
      continue;
    }
    if (running(r.state)) runningCount++;
    else if (terminated(r.state)) {
      stopped++;
      if (r.state.terminated.exitCode === 0) succeeded++;
    } else if (terminated(r.lastState)) stopped++;
    else waiting++;
  }
  if (failedInitialization > 0 && spec.restartPolicy === 'Never') return 'Failed';
  if ((pendingInitialization > 0 && !anyAppStarted(spec, records)) || waiting > 0) return 'Pending';
  if (runningCount > 0 && unknown === 0) return 'Running';
  if (runningCount === 0 && stopped > 0 && unknown === 0) {
    // A terminal pod's containers will not be restarted, whatever the policy.
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (spec.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (spec.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

export interface PodConditionStatus {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
}

const list = (names: string[]) => `[${names.join(' ')}]`;

/** The pod's conditions (status/generate.go), in the order kubectl shows them. */
export function podConditions(
  spec: PodSpecResolved,
  records: ReadonlyMap<string, ContainerRecord>,
  phase: PodPhase,
  sandboxReady: boolean,
): PodConditionStatus[] {
  const rec = (name: string) => records.get(name) as ContainerRecord;
  // Initialized (GeneratePodInitializedCondition).
  const incomplete = spec.initContainers
    .filter((c) => {
      const r = rec(c.name);
      return isSidecar(c) ? !r.started : !(terminated(r.state) && r.state.terminated.exitCode === 0);
    })
    .map((c) => c.name);
  let initialized: PodConditionStatus;
  if (!incomplete.length) initialized = { type: 'Initialized', status: 'True' };
  else if (phase === 'Succeeded') initialized = { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  else if (anyAppStarted(spec, records)) initialized = { type: 'Initialized', status: 'True' };
  else
    initialized = {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: `containers with incomplete status: ${list(incomplete)}`,
    };
  // ContainersReady (GenerateContainersReadyCondition): sidecars count, as app containers do.
  const counted = [...spec.initContainers.filter(isSidecar), ...spec.containers].map((c) => rec(c.name));
  const unready = counted.filter((r) => !r.ready).map((r) => r.name);
  let containersReady: PodConditionStatus;
  if (phase === 'Succeeded') containersReady = { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  else if (unready.length)
    containersReady = {
      type: 'ContainersReady',
      status: 'False',
      reason: 'ContainersNotReady',
      message: `containers with unready status: ${list(unready)}`,
    };
  else containersReady = { type: 'ContainersReady', status: 'True' };
  return [
    { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' },
    initialized,
    { ...containersReady, type: 'Ready' },
    containersReady,
    { type: 'PodScheduled', status: 'True' },
  ];
}

function containerStatus(r: ContainerRecord) {
  return {
    name: r.name,
    image: r.image,
    containerID: r.containerId ? `docker://${r.containerId}` : undefined,
    ready: r.ready,
    started: r.started,
    restartCount: r.restartCount,
    state: r.state,
    lastState: r.lastState ?? {},
  };
}

/** What podStatus reads of a run. */
export interface PodStatusSource {
  spec: PodSpecResolved;
  records: ReadonlyMap<string, ContainerRecord>;
  phase: PodPhase;
  sandboxReady: boolean;
  podIP: string;
}

/** The pod's status in the shape of the Kubernetes PodStatus. */
export function podStatus(run: PodStatusSource) {
  const of = (names: { name: string }[]) =>
    names.map((c) => containerStatus(run.records.get(c.name) as ContainerRecord));
  return {
    phase: run.phase,
    conditions: podConditions(run.spec, run.records, run.phase, run.sandboxReady),
    podIP: run.podIP || undefined,
    initContainerStatuses: of(run.spec.initContainers),
    containerStatuses: of(run.spec.containers),
  };
}

export type PodStatus = ReturnType<typeof podStatus>;

/**
 * An EndpointSlice's view of the pod (pkg/controller/endpointslice): `ready` drops the
 * moment the pod is deleted, while `serving` follows the pod's Ready condition.
 */
export function endpointConditions(podReady: boolean, terminating: boolean) {
  return { ready: podReady && !terminating, serving: podReady, terminating };
}

/**
 * The kubelet's status manager for one pod (pkg/kubelet/status/status_manager.go): the
 * container records the pod worker and the prober write, readiness as the prober's
 * results set it (SetContainerReadiness), and what is derived from them (the phase,
 * the Ready condition, the EndpointSlice's conditions), each change of the endpoint's
 * view told as an event.
 */
export class StatusManager {
  readonly records = new Map<string, ContainerRecord>();
  /** Set once the pod's termination finished (getPhase's podIsTerminal). */
  podIsTerminal = false;
  /** Whether the pod has been deleted (its deletion timestamp is set). */
  terminating = false;
  sandboxReady = false;
  private lastEndpoint = 'ready=false serving=false terminating=false';

  constructor(
    readonly spec: PodSpecResolved,
    private readonly emit: Timeline['emit'],
  ) {
    const waiting = spec.initContainers.length ? 'PodInitializing' : 'ContainerCreating';
    for (const c of spec.initContainers) this.add(c, isSidecar(c) ? 'sidecar' : 'init', waiting);
    for (const c of spec.containers) this.add(c, 'app', waiting);
  }

  private add(c: Container, kind: ContainerRecord['kind'], waiting: string): void {
    this.records.set(c.name, {
      name: c.name,
      image: c.image ?? '',
      kind,
      restartCount: 0,
      started: false,
      ready: false,
      state: { waiting: { reason: waiting } },
      lastState: null,
      containerId: null,
    });
  }

  record(name: string): ContainerRecord {
    return this.records.get(name) as ContainerRecord;
  }

  get phase(): PodPhase {
    return getPhase(this.spec, this.records, this.podIsTerminal);
  }

  /** Whether the pod's Ready condition is True. */
  podReady(): boolean {
    return (
      podConditions(this.spec, this.records, this.phase, this.sandboxReady).find((c) => c.type === 'Ready')?.status ===
      'True'
    );
  }

  /** The EndpointSlice's conditions for the pod. */
  endpoint() {
    return endpointConditions(this.podReady(), this.terminating);
  }

  /**
   * A container's readiness from what is known of it: an init container once it has
   * completed; any other when it runs, has started, and its readiness probe (if any)
   * last said Success.
   */
  updateReady(name: string, running: boolean, readiness: ProbeResult | undefined): void {
    const r = this.record(name);
    if (r.kind === 'init') {
      const done = 'terminated' in r.state && r.state.terminated.exitCode === 0;
      this.setReady(r, done, done ? 'completed' : 'not completed');
      return;
    }
    const probe = !!(
      this.spec.initContainers.find((c) => c.name === name) ?? this.spec.containers.find((c) => c.name === name)
    )?.readinessProbe;
    const ready = running && r.started && (!probe || readiness === 'Success');
    this.setReady(
      r,
      ready,
      !running
        ? 'the container exited'
        : probe
          ? `readiness probe ${ready ? 'succeeded' : 'failed'}`
          : 'started, and no readiness probe',
    );
  }

  private setReady(r: ContainerRecord, ready: boolean, why: string): void {
    if (r.ready === ready) return;
    r.ready = ready;
    this.emit('Normal', ready ? 'Ready' : 'NotReady', r.name, `container ${ready ? 'is' : 'is not'} ready: ${why}`);
    this.endpointChanged();
  }

  /** Say when the endpoint's view of the pod changes (an EndpointSlice update). */
  endpointChanged(): void {
    const e = this.endpoint();
    const text = `ready=${e.ready} serving=${e.serving} terminating=${e.terminating}`;
    if (text === this.lastEndpoint) return;
    this.lastEndpoint = text;
    this.emit('Normal', 'EndpointConditions', null, text);
  }
}
