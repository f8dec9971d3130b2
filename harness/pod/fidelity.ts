import type { Container } from 'kubernetes-types/core/v1.js';
import { isSidecar, PROBE_KINDS, type PodSpecResolved } from './manifest.js';

/**
 * How close the emulator comes to the kubelet, behaviour by behaviour. docs/pod.md's
 * fidelity table and pod.html are generated from this list; pod.json's
 * `emulation.notes` lists the entries that applied to the pod that ran.
 */
export interface FidelityNote {
  behaviour: string;
  /** The kubelet source it follows. */
  follows: string;
  level: 'reproduced' | 'approximated' | 'not possible';
  how: string;
  /** Whether the note concerns this pod (absent: every pod). */
  applies?: (spec: PodSpecResolved) => boolean;
  /** On the CRI (`--runtime cri`), where it differs from the engine: its level and how. */
  cri?: { level: FidelityNote['level']; how: string };
}

/** The runtimes a pod runs on: the engine (its sandbox built of containers) or the CRI. */
export type PodRuntime = 'docker' | 'cri';

const all = (spec: PodSpecResolved): Container[] => [...spec.initContainers, ...spec.containers];
const anyProbe = (spec: PodSpecResolved, pick: (c: Container) => boolean) => all(spec).some(pick);

export const FIDELITY: readonly FidelityNote[] = [
  {
    behaviour: 'Pod sandbox: namespaces, hostname, DNS, pod IP',
    follows: 'kuberuntime_sandbox.go createPodSandbox and generatePodSandboxConfig, CNI',
    level: 'approximated',
    how: "a sandbox container (catatonit) holds the network namespace (and the PID namespace with shareProcessNamespace) that every container joins; the pod IP is its address on an engine network created with --internal for this pod; the hostname is the sandbox container's id, and the engine's resolv.conf applies",
    cri: {
      level: 'reproduced',
      how: "RunPodSandbox with the pod's metadata, hostname (the pod name), the cluster's DNS search path and options (ndots:5; no name server, so nothing resolves off the machine) and namespace options; the pause container (built from the base) holds the namespaces; the pod IP is the one the CNI gives it on the harness's own bridge; each container's log in the kubelet's <namespace>_<pod>_<uid>/<container>/<attempt>.log layout, under the harness's state folder",
    },
  },
  {
    behaviour: 'Probe workers, defaults, initial results, thresholds, startup gating',
    follows:
      'prober/prober_manager.go AddPod and UpdatePodStatus, prober/worker.go run and doProbe, apis/core/v1/defaults.go',
    level: 'reproduced',
    how: "a worker per (container, probe) from the pod's start, before the container exists, on a ticker at the period, kept across the container's restarts with its last result and run; each new instance starts at the initial result (readiness Failure, liveness Success) and takes the worker off hold; a liveness failure or a startup result at its threshold holds it until the next instance; liveness and readiness wait for the startup probe; a started container's readiness not yet Success is probed at once (the manual trigger); 0 or unset fields take the defaults; no start-up jitter (the emulator's kubelet is not starting up)",
    applies: (s) => anyProbe(s, (c) => PROBE_KINDS.some((k) => c[k])),
  },
  {
    behaviour:
      'A prober error (no answer from the prober, an exec the runtime refuses, a port name the container does not declare) is thrown away',
    follows: 'prober/worker.go doProbe, prober/prober.go runProbeWithRetries and extractPort',
    level: 'reproduced',
    how: 'each probe is tried up to 3 times while it errors; then an Unhealthy event "<Probe> probe errored and resulted in unknown state: ..." (an undeclared port name: strconv.Atoi\'s error; on Docker, the OCI runtime\'s refusal of a missing program, where the CRI gives an RPC error); the result neither counts towards a threshold nor resets one',
    applies: (s) => anyProbe(s, (c) => PROBE_KINDS.some((k) => c[k])),
    cri: {
      level: 'reproduced',
      how: 'as on the engine, with the runtime\'s own error for a program the image lacks: "rpc error: code = Unknown desc = failed to exec in container: ..."',
    },
  },
  {
    behaviour: 'httpGet / tcpSocket / gRPC probes and httpGet hooks from the node to the pod IP',
    follows:
      'probe/http request.go newProbeRequest and http.go RedirectChecker, probe/tcp, probe/grpc, lifecycle/handlers.go runHTTPHandler',
    level: 'reproduced',
    how: "the pod gets its own engine network created with --internal; a node-side helper on it reaches the pod IP (a server bound to 127.0.0.1 fails); the request newProbeRequest builds: User-Agent kube-probe/1.33 or kube-lifecycle/1.33 unless given, Accept */* unless given (an empty one removed), one Host header (the first given, as the request's host), other repeated headers sent repeatedly; only 301, 302, 303, 307 and 308 redirects to the same host are followed, at most 10 requests ('Get \"<Location as given>\": stopped after 10 redirects'); an HTTPS hook answered in plain HTTP is tried again in HTTP without its Authorization header, with a LifecycleHTTPFallback event",
    applies: (s) =>
      anyProbe(
        s,
        (c) =>
          PROBE_KINDS.some((k) => c[k]?.httpGet || c[k]?.tcpSocket || c[k]?.grpc) ||
          !!c.lifecycle?.postStart?.httpGet ||
          !!c.lifecycle?.preStop?.httpGet,
      ),
    cri: {
      level: 'reproduced',
      how: "from the host itself, as from a node, straight to the pod IP on the harness's CNI bridge (the toolbox's net-probe run by the host's python3; gRPC through grpc-js); the requests and redirects as on the engine",
    },
  },
  {
    behaviour: 'Exec probes and exec hooks',
    follows: 'probe/exec exec.go Probe, prober.go runProbe (ExpandContainerCommandOnlyStatic)',
    level: 'approximated',
    how: 'run through the engine exec API, $(VAR) expanded from plain env values; stdout and stderr as written, cut at 10 KiB; a command that outlives timeoutSeconds is reported as `command "..." timed out` but keeps running in the container (the engine cannot kill an exec), as with dockershim',
    cri: {
      level: 'reproduced',
      how: 'ExecSync with the probe\'s timeout (the runtime ends a command that outlives it: a failure, `command "..." timed out`); $(VAR) expanded from plain env values; a program the runtime cannot start is an RPC error, thrown away',
    },
    applies: (s) =>
      anyProbe(
        s,
        (c) => PROBE_KINDS.some((k) => c[k]?.exec) || !!c.lifecycle?.postStart?.exec || !!c.lifecycle?.preStop?.exec,
      ),
  },
  {
    behaviour: 'Container start order, postStart holding the next container',
    follows: 'kuberuntime_manager.go SyncPod, kuberuntime_container.go startContainer',
    level: 'reproduced',
    how: 'one sync at a time computes actions from status and starts containers in spec order; a postStart hook blocks the sync, so the next container starts after it returns',
  },
  {
    behaviour: 'Native sidecars (init containers with restartPolicy Always)',
    follows: 'kuberuntime_manager.go computeInitContainerActions, kubelet_pods.go getPhase',
    level: 'reproduced',
    how: 'started in order, the next init container waiting until the sidecar has started; restarted whenever they exit; probes run ("Init container X failed liveness probe" when one fails); not counted for completion; not restarted once the pod is killed; stopped after the app containers, last first',
    applies: (s) => s.initContainers.some(isSidecar),
  },
  {
    behaviour: 'Sidecar termination timing',
    follows: 'kuberuntime_termination_order.go waitForTurn, kuberuntime_container.go killContainer',
    level: 'reproduced',
    how: "every container's Killing event and preStop hook at once; a sidecar's stop signal waits until the app containers and the sidecar declared after it have exited, at most its grace period, whose whole seconds the wait takes off (at least 2 s left)",
    applies: (s) => s.initContainers.some(isSidecar),
  },
  {
    behaviour: 'Images: pull policy, pulls and their back-off',
    follows: 'images/image_manager.go EnsureImageExists, apis/core/v1/defaults.go',
    level: 'approximated',
    how: 'the policy defaults to Always for an untagged or :latest image, else IfNotPresent; present and not Always: "already present on machine"; Never and absent: ErrImageNeverPull; else a pull through the engine ("Pulling image", "Successfully pulled image" without the size, or "Failed to pull image" and Error: ErrImagePull), not tried again until its back-off (10 s doubling) has passed: ImagePullBackOff at the syncs between, which the emulator makes half-way and at the end of the back-off (the kubelet requeues its worker about every 10 s)',
    cri: {
      level: 'approximated',
      how: "as on the engine, the image's presence asked of containerd's image service: an image the engine built (or pulled) is moved into containerd's k8s.io namespace when containerd lacks it or holds another image under its name (docker save, then containerd's import)",
    },
  },
  {
    behaviour: 'A container that cannot be started',
    follows: 'kuberuntime_container.go startContainer, kuberuntime_manager.go SyncPod',
    level: 'reproduced',
    how: 'Warning Failed "Error: <the runtime\'s words>" (on Docker, "OCI runtime create failed: ..."; on the CRI, "failed to create containerd task: ..."), the container terminated with reason StartError and exit code 128, then restarted as any exit is, with back-off (CrashLoopBackOff); the run goes on; only a runtime that stops answering ends it',
  },
  {
    behaviour: 'A pod with nothing left to run is killed',
    follows: 'kuberuntime_manager.go computePodActions (keepCount == 0: KillPod), killPodWithSyncResult',
    level: 'reproduced',
    how: 'when no app container keeps running and none will start again (a Job done, or under Never the only container failing its liveness probe), every running container is killed with "Stopping container X" and the pod\'s grace period, not the probe\'s',
  },
  {
    behaviour: 'Restart policy and CrashLoopBackOff',
    follows: 'kuberuntime_manager.go doBackOff, client-go flowcontrol Backoff.Next and IsInBackOffSince',
    level: 'reproduced',
    how: "first restart at once, then 10 s doubling to 300 s, starting over after 600 s without a restart; every figure multiplied by the run's back-off scale",
  },
  {
    behaviour: 'Termination: preStop inside the grace period, stop signal, at least 2 s, SIGKILL',
    follows: 'kuberuntime_container.go killContainer, executePreStopHook',
    level: 'reproduced',
    how: "in whole seconds, as the kubelet counts them: the preStop hook's run takes its whole seconds off the grace period, then the stop signal (the image's STOPSIGNAL) with what is left, at least 2 s, then SIGKILL; sleep hooks (0 s allowed) are cut short by the grace period; lifecycle.stopSignal is not applied",
    cri: {
      level: 'reproduced',
      how: "as on the engine up to the stop, which is StopContainer with what is left of the grace period (at least 2 s) as its timeout: containerd sends the image's STOPSIGNAL and SIGKILL when the timeout passes; the SIGKILL event says the container was still running when the timeout ran out",
    },
  },
  {
    behaviour: 'Probes during termination and the endpoint views',
    follows:
      'prober/prober_manager.go StopLivenessAndStartup, prober/worker.go doProbe, endpointslice controller podToEndpoint',
    level: 'reproduced',
    how: 'on deletion liveness and startup stop while readiness keeps running; the Ready condition changes only with container readiness; the EndpointSlice view (ready=false, serving, terminating=true) changes at once',
  },
  {
    behaviour: 'Phase and conditions',
    follows:
      'kubelet_pods.go getPhase, status/generate.go GeneratePodReadyCondition and GenerateContainersReadyCondition',
    level: 'reproduced',
    how: "pure functions of the container statuses: PodReadyToStartContainers, Initialized, Ready, ContainersReady (with the kubelet's reasons and messages), PodScheduled",
  },
  {
    behaviour: 'Events',
    follows: 'kubelet/events/event.go, the recordContainerEvent calls of kuberuntime and images',
    level: 'reproduced',
    how: "Pulling, Pulled, Created, Started, Failed, ErrImageNeverPull, Killing, BackOff, Unhealthy, ProbeWarning, FailedPostStartHook, FailedPreStopHook and LifecycleHTTPFallback with the kubelet's message formats; every other reason in the timeline is the emulator's own (source: harness)",
  },
  {
    behaviour: 'gRPC probes',
    follows: 'probe/grpc grpc.go Probe',
    level: 'reproduced',
    how: "grpc.health.v1.Health/Check from the node-side helper (python3-grpcio) with User-Agent kube-probe/1.33; SERVING succeeds ('service healthy'); the failures in grpc.go's words (connect timeout, health protocol not implemented, rpc timeout, 'service unhealthy (responded with \"NOT_SERVING\")')",
    applies: (s) => anyProbe(s, (c) => PROBE_KINDS.some((k) => c[k]?.grpc)),
    cri: {
      level: 'reproduced',
      how: 'the same check and words, from the host through grpc-js',
    },
  },
  {
    behaviour: 'Environment: value, fieldRef, $(VAR) in command and args, workingDir',
    follows: 'kubelet_pods.go makeEnvironmentVariables, third_party/forked/golang/expansion Expand',
    level: 'approximated',
    how: 'plain values and fieldRef (metadata.name/namespace/uid, status.podIP, spec.nodeName = harness-node) are set; secretKeyRef, configMapKeyRef and envFrom need an API server and are refused or ignored',
  },
  {
    behaviour: 'Workloads',
    follows: 'the workload controllers (pod templates only)',
    level: 'approximated',
    how: 'a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob runs its pod template as one replica; no controller behaviour (rollouts, Job completions and backoffLimit)',
    applies: (s) => !s.from.startsWith('Pod/'),
  },
  {
    behaviour: 'Resources, volumes, security context, service accounts, scheduling',
    follows: 'kuberuntime_container.go generateContainerConfig, volumemanager, the scheduler',
    level: 'not possible',
    how: "accepted and ignored (listed per pod when present); the engine's default limits apply",
    applies: (s) => s.ignored.length > 0,
    cri: {
      level: 'not possible',
      how: 'accepted and ignored (listed per pod when present); every container gets 512 MiB and one CPU in its container config (the CRI has no per-container pids limit)',
    },
  },
];

/** A note's level and how on a runtime. */
const on = (n: FidelityNote, runtime: PodRuntime) => (runtime === 'cri' && n.cri) || n;

/** The notes that concern this pod on `runtime`, plus the fields it carried that were ignored. */
export function notesFor(spec: PodSpecResolved, runtime: PodRuntime = 'docker'): string[] {
  const notes = FIDELITY.filter((n) => !n.applies || n.applies(spec)).map((n) => {
    const { level, how } = on(n, runtime);
    return `${n.behaviour}: ${level}${level === 'reproduced' ? '' : ` (${how})`}`;
  });
  if (spec.ignored.length) notes.push(`Ignored fields: ${spec.ignored.join(', ')}`);
  return notes;
}

/** The fidelity table in Markdown (docs/pod.md): a column per runtime, the CRI's how where it differs. */
export function fidelityMarkdown(): string {
  const rows = FIDELITY.map(
    (n) =>
      `| ${n.behaviour} | ${n.level} | ${on(n, 'cri').level} | ${n.how} | ${n.cri ? n.cri.how : 'as on the engine'} | ${n.follows} |`,
  );
  return [
    '| Kubelet behaviour | On the engine | On the CRI | How, on the engine | How, on the CRI | Follows |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
