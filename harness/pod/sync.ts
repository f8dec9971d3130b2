import { isSidecar, type PodSpecResolved } from './manifest.js';
import type { ContainerRecord, State } from './status.js';

/**
 * What a sync does next, computed from the pod's status alone
 * (pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions and
 * computeInitContainerActions): a pure function, so its rules are tested without an
 * engine.
 */
export interface PodActions {
  /**
   * Kill the pod, every running container with the pod's grace period ("Stopping
   * container X"): it completed (its sidecars go), an init container failed under Never,
   * or its app containers are failing a probe and none will run again (under Never).
   */
  killPod: 'completed' | 'init-failed' | 'nothing-to-run' | null;
  /** The next init container (regular or sidecar) to start. */
  initToStart: string | null;
  /** App containers to start, in spec order (one at a time: a postStart hook holds the next). */
  containersToStart: string[];
  /** Containers to kill, with the Killing event's message. */
  containersToKill: { name: string; message: string; probe: 'liveness' | 'startup' }[];
}

export interface SyncInput {
  spec: PodSpecResolved;
  records: ReadonlyMap<string, ContainerRecord>;
  /** Containers with an instance the engine runs (created and not seen to exit). */
  live: ReadonlySet<string>;
  /** Live containers whose liveness or startup probe has failed. */
  probeFailed: ReadonlyMap<string, 'liveness' | 'startup'>;
}

const lastExit = (r: ContainerRecord): number | null => {
  const t = (s: State | null) => (s && 'terminated' in s ? s.terminated.exitCode : null);
  return t(r.state) ?? t(r.lastState);
};

/** Whether the container ran and exited at least once (a status with a termination). */
const hasExited = (r: ContainerRecord): boolean => lastExit(r) !== null;

/** kubecontainer.ShouldContainerBeRestarted for an exited container. */
function shouldRestart(policy: PodSpecResolved['restartPolicy'], exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

export function computePodActions({ spec, records, live, probeFailed }: SyncInput): PodActions {
  const actions: PodActions = { killPod: null, initToStart: null, containersToStart: [], containersToKill: [] };
  const rec = (name: string) => records.get(name) as ContainerRecord;
  // computePodActions' messages; a sidecar's are computeInitContainerActions' ("Init container X failed ...").
  const killOnProbe = (name: string, restart: boolean, init = false) => {
    const probe = probeFailed.get(name);
    if (!probe || !live.has(name)) return false;
    const verb = init
      ? `Init container ${name} failed ${probe} probe`
      : `Container ${name} failed ${probe} probe${restart ? ', will be restarted' : ''}`;
    actions.containersToKill.push({ name, message: verb, probe });
    return true;
  };
  const appStarted = spec.containers.some((c) => live.has(c.name) || hasExited(rec(c.name)));

  // Init containers in order; sidecars stay running once started.
  let initialized = true;
  for (const c of spec.initContainers) {
    const r = rec(c.name);
    if (isSidecar(c)) {
      if (live.has(c.name)) {
        if (killOnProbe(c.name, true, true)) {
          if (!appStarted) {
            initialized = false;
            break;
          }
          continue;
        }
        if (!r.started && !appStarted) {
          initialized = false;
          break;
        }
        continue;
      }
      // Never started, or exited: (re)start it whatever the pod's restartPolicy.
      if (!actions.initToStart) actions.initToStart = c.name;
      if (!appStarted) {
        initialized = false;
        break;
      }
      continue;
    }
    if (appStarted) continue;
    if (live.has(c.name)) {
      initialized = false;
      break;
    }
    const code = lastExit(r);
    if (code === 0 && 'terminated' in r.state) continue;
    if (code !== null && code !== 0 && spec.restartPolicy === 'Never') {
      actions.killPod = 'init-failed';
      return actions;
    }
    actions.initToStart = c.name;
    initialized = false;
    break;
  }
  if (!initialized) return actions;

  const restartable = spec.restartPolicy !== 'Never';
  let appLive = false;
  // App containers kept running (keepCount): neither exited nor failing a probe.
  let keep = 0;
  for (const c of spec.containers) {
    const r = rec(c.name);
    if (live.has(c.name)) {
      appLive = true;
      if (!killOnProbe(c.name, restartable)) keep++;
      else if (restartable) actions.containersToStart.push(c.name);
      continue;
    }
    const code = lastExit(r);
    if (code === null || shouldRestart(spec.restartPolicy, code)) actions.containersToStart.push(c.name);
  }
  // keepCount == 0 and nothing to start: KillPod (sidecars are not restarted then).
  if (keep === 0 && !actions.containersToStart.length) {
    actions.initToStart = null;
    if (appLive) {
      actions.killPod = 'nothing-to-run';
      actions.containersToKill = [];
    } else if (spec.initContainers.some((c) => isSidecar(c) && live.has(c.name))) actions.killPod = 'completed';
  }
  // A container killed for a probe starts again in a later sync, once it has exited.
  actions.containersToStart = actions.containersToStart.filter((n) => !live.has(n));
  return actions;
}
