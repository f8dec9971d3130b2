import { Type, type TObject, type TSchema } from '@sinclair/typebox';

/**
 * The Pod subset the emulator runs, written once: its shape (every field, its type and
 * range) is this schema, docs/schemas/pod.schema.json is generated from it (an editor
 * validates a manifest with it), and the manifest's validator (manifest.ts) reads which
 * fields exist from it. The rules a schema cannot say (one handler per probe, a sleep
 * hook within the grace period, unique names, which fields init containers may carry)
 * stay in the validator, in the API server's words.
 *
 * A field real manifests carry that the emulator does not emulate is in the schema as
 * `ignored` (x-harness-ignored): accepted, listed in the run's notes, otherwise unused.
 */

/**
 * The largest number of seconds the emulator takes: the API allows int32 (and int64
 * grace periods), but a wait past 2^31-1 ms is a Node timer that fires after 1 ms (a
 * probe every millisecond), so the bound is the longest a timer can wait (~24 days).
 */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The fieldRef paths an env var may read (the rest need an API server). */
export const FIELD_REFS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'status.podIP', 'spec.nodeName'];

const IGNORED = 'x-harness-ignored';

const closed = <T extends Parameters<typeof Type.Object>[0]>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const opt = Type.Optional;
/** One of the given strings. */
const literals = <const T extends readonly string[]>(values: T, description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );
/** A field accepted and not emulated. */
const ignored = (what: string) =>
  opt(Type.Unknown({ description: `${what}: accepted, not emulated (named in the run's notes)`, [IGNORED]: true }));
const seconds = (minimum: number, description?: string) =>
  Type.Integer({ minimum, maximum: MAX_SECONDS, ...(description ? { description } : {}) });
const strings = (description?: string) => Type.Array(Type.String(), description ? { description } : {});

const PortNumber = Type.Integer({ minimum: 1, maximum: 65535 });
/** A port number, or the name of one the container declares (IsValidPortName's form). */
const PortNumOrName = Type.Union([
  PortNumber,
  Type.String({ minLength: 1, maxLength: 15, pattern: '^[-a-z0-9]+$', description: 'a named port of the container' }),
]);

const ExecAction = closed({ command: Type.Array(Type.String(), { minItems: 1 }) });
const HTTPHeader = closed({ name: Type.String({ minLength: 1 }), value: Type.String() });
const HTTPGetAction = closed({
  path: opt(Type.String({ description: 'default /' })),
  port: PortNumOrName,
  host: opt(Type.String({ description: "default: the pod's IP" })),
  scheme: opt(literals(['HTTP', 'HTTPS'] as const, 'default HTTP')),
  httpHeaders: opt(Type.Array(HTTPHeader)),
});
const TCPSocketAction = closed({ port: PortNumOrName, host: opt(Type.String()) });
const GRPCAction = closed({ port: PortNumber, service: opt(Type.String()) });
const SleepAction = closed({ seconds: seconds(0, 'at most the pod grace period') });

const Probe = closed(
  {
    exec: opt(ExecAction),
    httpGet: opt(HTTPGetAction),
    tcpSocket: opt(TCPSocketAction),
    grpc: opt(GRPCAction),
    initialDelaySeconds: opt(seconds(0, 'default 0')),
    timeoutSeconds: opt(seconds(0, 'default 1 (0: the default)')),
    periodSeconds: opt(seconds(0, 'default 10 (0: the default)')),
    successThreshold: opt(seconds(0, 'default 1; must be 1 for liveness and startup probes')),
    failureThreshold: opt(seconds(0, 'default 3 (0: the default)')),
    terminationGracePeriodSeconds: opt(seconds(1, 'liveness and startup probes: the grace period of their kill')),
  },
  'exactly one of exec, httpGet, tcpSocket, grpc',
);
const LifecycleHandler = closed(
  { exec: opt(ExecAction), httpGet: opt(HTTPGetAction), sleep: opt(SleepAction) },
  'exactly one of exec, httpGet, sleep',
);
const Lifecycle = closed({
  postStart: opt(LifecycleHandler),
  preStop: opt(LifecycleHandler),
  stopSignal: ignored('lifecycle.stopSignal'),
});
const FieldRef = closed({ fieldPath: literals(FIELD_REFS), apiVersion: opt(Type.String()) });
const EnvVarSource = closed({ fieldRef: FieldRef });
const EnvVar = closed({ name: Type.String({ minLength: 1 }), value: opt(Type.String()), valueFrom: opt(EnvVarSource) });
const ContainerPort = closed({
  containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  name: opt(Type.String()),
  protocol: opt(Type.String()),
});

const Container = closed({
  name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', description: 'an RFC 1123 label' }),
  image: Type.String({ minLength: 1 }),
  command: opt(strings('the entrypoint ($(VAR) expanded)')),
  args: opt(strings('its arguments ($(VAR) expanded)')),
  env: opt(Type.Array(EnvVar)),
  ports: opt(Type.Array(ContainerPort)),
  lifecycle: opt(Lifecycle),
  startupProbe: opt(Probe),
  livenessProbe: opt(Probe),
  readinessProbe: opt(Probe),
  imagePullPolicy: opt(
    literals(['Always', 'IfNotPresent', 'Never'] as const, 'default: Always for :latest, else IfNotPresent'),
  ),
  workingDir: opt(Type.String({ pattern: '^/' })),
  restartPolicy: opt(literals(['Always'] as const, 'init containers only: a sidecar')),
  resources: ignored('resources'),
  volumeMounts: ignored('volumeMounts'),
  volumeDevices: ignored('volumeDevices'),
  securityContext: ignored('securityContext'),
  terminationMessagePath: ignored('terminationMessagePath'),
  terminationMessagePolicy: ignored('terminationMessagePolicy'),
  stdin: ignored('stdin'),
  stdinOnce: ignored('stdinOnce'),
  tty: ignored('tty'),
  envFrom: ignored('envFrom'),
  resizePolicy: ignored('resizePolicy'),
});

const SPEC_IGNORED = [
  'volumes',
  'serviceAccountName',
  'serviceAccount',
  'automountServiceAccountToken',
  'nodeSelector',
  'nodeName',
  'affinity',
  'tolerations',
  'securityContext',
  'imagePullSecrets',
  'priorityClassName',
  'priority',
  'dnsPolicy',
  'dnsConfig',
  'hostname',
  'subdomain',
  'schedulerName',
  'topologySpreadConstraints',
  'enableServiceLinks',
  'readinessGates',
  'runtimeClassName',
  'preemptionPolicy',
  'overhead',
  'hostAliases',
] as const;

const PodSpec = closed({
  containers: Type.Array(Container, { minItems: 1 }),
  initContainers: opt(Type.Array(Container)),
  restartPolicy: opt(literals(['Always', 'OnFailure', 'Never'] as const, 'default Always')),
  terminationGracePeriodSeconds: opt(seconds(0, 'default 30')),
  shareProcessNamespace: opt(Type.Boolean()),
  ...Object.fromEntries(SPEC_IGNORED.map((k) => [k, ignored(k)])),
});

const ObjectMeta = closed({
  name: opt(Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$', description: 'an RFC 1123 subdomain' })),
  namespace: opt(Type.String({ description: 'default "default"' })),
  labels: opt(Type.Record(Type.String(), Type.String())),
  annotations: opt(Type.Record(Type.String(), Type.String())),
  generateName: opt(Type.String()),
});

/** A Pod as the emulator runs it (a workload's pod template has this spec). */
export const PodSchema = Type.Object(
  { apiVersion: Type.Literal('v1'), kind: Type.Literal('Pod'), metadata: ObjectMeta, spec: PodSpec },
  {
    additionalProperties: false,
    title: 'harness pod',
    description:
      "The Pod subset `harness pod run` emulates, with the kubelet's rules (docs/pod.md). Fields marked x-harness-ignored are accepted and not emulated.",
  },
);

/** The objects of a manifest the validator walks, by the name it gives each kind. */
export const POD_OBJECTS = {
  pod: PodSchema,
  metadata: ObjectMeta,
  spec: PodSpec,
  container: Container,
  env: EnvVar,
  valueFrom: EnvVarSource,
  fieldRef: FieldRef,
  port: ContainerPort,
  lifecycle: Lifecycle,
  hook: LifecycleHandler,
  probe: Probe,
  exec: ExecAction,
  httpGet: HTTPGetAction,
  header: HTTPHeader,
  tcpSocket: TCPSocketAction,
  grpc: GRPCAction,
  sleep: SleepAction,
} satisfies Record<string, TObject>;

export type PodObject = keyof typeof POD_OBJECTS;

/** The fields an object of `kind` has: emulated ones, and accepted-but-ignored ones. */
export function fieldsOf(kind: PodObject): { emulated: string[]; ignored: string[] } {
  const properties = POD_OBJECTS[kind].properties as Record<string, TSchema>;
  const all = Object.keys(properties);
  const isIgnored = (k: string) => (properties[k] as Record<string, unknown>)[IGNORED] === true;
  return { emulated: all.filter((k) => !isIgnored(k)), ignored: all.filter(isIgnored) };
}
