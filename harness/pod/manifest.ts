import { randomUUID } from 'node:crypto';
import type { Container, LifecycleHandler, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { parseAllDocuments } from 'yaml';
import { BadInputError } from '../errors.js';

/**
 * The Pod manifest subset the emulator runs, validated with the API server's rules
 * (pkg/apis/core/validation) and filled with its defaults (pkg/apis/core/v1/defaults.go).
 * Types are the published Kubernetes ones. A manifest may be a Pod or a workload whose
 * pod template is run as one replica, in a file of several documents.
 */
export type ProbeKind = 'startupProbe' | 'livenessProbe' | 'readinessProbe';
export const PROBE_KINDS: readonly ProbeKind[] = ['startupProbe', 'livenessProbe', 'readinessProbe'];

export interface ResolvedProbe extends Probe {
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}

export interface PodSpecResolved {
  name: string;
  namespace: string;
  /** The pod's UID (made up per run, as the API server does at creation). */
  uid: string;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds: number;
  shareProcessNamespace: boolean;
  /** Init containers; `restartPolicy: Always` makes one a sidecar (native sidecar, GA in 1.33). */
  initContainers: Container[];
  containers: Container[];
  /** Where the pod came from: a Pod, or a workload's template (`Deployment/web`). */
  from: string;
  /** Fields accepted but not emulated, by path (said in pod.json's emulation notes). */
  ignored: string[];
}

/** Whether an init container is a sidecar (kubetypes.IsRestartableInitContainer). */
export const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

/** `name_namespace(uid)`, as the kubelet's format.Pod writes a pod in messages. */
export const formatPod = (spec: PodSpecResolved): string => `${spec.name}_${spec.namespace}(${spec.uid})`;

class Invalid extends Error {}

const ALLOWED: Record<string, readonly string[]> = {
  pod: ['apiVersion', 'kind', 'metadata', 'spec'],
  metadata: ['name', 'namespace', 'labels', 'annotations', 'generateName'],
  spec: ['containers', 'initContainers', 'restartPolicy', 'terminationGracePeriodSeconds', 'shareProcessNamespace'],
  container: [
    'name',
    'image',
    'command',
    'args',
    'env',
    'ports',
    'lifecycle',
    'startupProbe',
    'livenessProbe',
    'readinessProbe',
    'imagePullPolicy',
    'workingDir',
    'restartPolicy',
  ],
  env: ['name', 'value', 'valueFrom'],
  valueFrom: ['fieldRef'],
  fieldRef: ['fieldPath', 'apiVersion'],
  port: ['containerPort', 'name', 'protocol'],
  lifecycle: ['postStart', 'preStop', 'stopSignal'],
  hook: ['exec', 'httpGet', 'sleep'],
  probe: [
    'exec',
    'httpGet',
    'tcpSocket',
    'grpc',
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
    'terminationGracePeriodSeconds',
  ],
  exec: ['command'],
  httpGet: ['path', 'port', 'host', 'scheme', 'httpHeaders'],
  header: ['name', 'value'],
  tcpSocket: ['port', 'host'],
  grpc: ['port', 'service'],
  sleep: ['seconds'],
};

/**
 * Fields real manifests carry that a plain engine does not emulate: accepted, listed in
 * the run's notes, and otherwise ignored (a typo is still an unknown field).
 */
const IGNORED: Record<string, readonly string[]> = {
  spec: [
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
  ],
  container: [
    'resources',
    'volumeMounts',
    'volumeDevices',
    'securityContext',
    'terminationMessagePath',
    'terminationMessagePolicy',
    'stdin',
    'stdinOnce',
    'tty',
    'envFrom',
    'resizePolicy',
  ],
};

/** The fieldRef paths an env var may read (the rest need an API server). */
const FIELD_REFS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'status.podIP', 'spec.nodeName'];

/** Workload kinds whose pod template runs as one replica; the apiVersion each must have. */
const WORKLOADS: Record<string, { apiVersion: string; template: (o: Record<string, unknown>) => unknown }> = {
  Deployment: { apiVersion: 'apps/v1', template: (s) => s.template },
  StatefulSet: { apiVersion: 'apps/v1', template: (s) => s.template },
  DaemonSet: { apiVersion: 'apps/v1', template: (s) => s.template },
  ReplicaSet: { apiVersion: 'apps/v1', template: (s) => s.template },
  Job: { apiVersion: 'batch/v1', template: (s) => s.template },
  CronJob: {
    apiVersion: 'batch/v1',
    template: (s) =>
      ((s.jobTemplate as Record<string, unknown> | undefined)?.spec as Record<string, unknown>)?.template,
  },
};

function fail(path: string, message: string): never {
  throw new Invalid(`${path}: ${message}`);
}

class Validator {
  readonly ignored: string[] = [];

  object(value: unknown, path: string, kind: keyof typeof ALLOWED): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
    const o = value as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (ALLOWED[kind]?.includes(key)) continue;
      if (IGNORED[kind]?.includes(key)) {
        this.ignored.push(`${path}.${key}`);
        continue;
      }
      fail(`${path}.${key}`, 'unknown field (or one this emulator does not support)');
    }
    return o;
  }
}

function array(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, 'must be a list');
  return value;
}

function strings(value: unknown, path: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(path, 'must be a list of strings');
}

/**
 * The largest number of seconds the emulator takes: the API allows int32 (and int64
 * grace periods), but a wait past 2^31-1 ms is a Node timer that fires after 1 ms (a
 * probe every millisecond), so the bound is the longest a timer can wait (~24 days).
 */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function integer(value: unknown, path: string, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(path, `must be an integer >= ${min}`);
  if (value > MAX_SECONDS)
    fail(
      path,
      `Invalid value: ${value}: must be at most ${MAX_SECONDS} (the longest the emulator can wait, about 24 days)`,
    );
}

function port(value: unknown, path: string, c: Container): void {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > 65535)
      fail(path, 'must be a port number 1-65535 or a named port');
    return;
  }
  if (typeof value !== 'string' || !value) fail(path, 'Required value: a port number or name');
  if (!(c.ports ?? []).some((p) => p.name === value)) fail(path, `no container port named "${value}"`);
}

function handlers(v0: Validator, o: Record<string, unknown>, path: string, allowed: string[], c: Container): void {
  const present = allowed.filter((h) => o[h] !== undefined);
  if (present.length === 0) fail(path, `must specify a handler type (one of ${allowed.join(', ')})`);
  if (present.length > 1)
    fail(path, `Forbidden: may not specify more than 1 handler type (found ${present.join(', ')})`);
  const h = present[0] as string;
  const hp = `${path}.${h}`;
  const v = v0.object(o[h], hp, h as keyof typeof ALLOWED);
  if (h === 'exec') {
    strings(v.command, `${hp}.command`);
    if (!Array.isArray(v.command) || !v.command.length) fail(`${hp}.command`, 'Required value');
  }
  if (h === 'httpGet' || h === 'tcpSocket' || h === 'grpc') port(v.port, `${hp}.port`, c);
  if (h === 'grpc' && typeof v.port !== 'number')
    fail(`${hp}.port`, 'must be a port number (grpc takes no named port)');
  if (h === 'httpGet') {
    if (v.scheme !== undefined && v.scheme !== 'HTTP' && v.scheme !== 'HTTPS')
      fail(`${hp}.scheme`, 'must be HTTP or HTTPS');
    for (const [i, hd] of array(v.httpHeaders, `${hp}.httpHeaders`).entries()) {
      const header = v0.object(hd, `${hp}.httpHeaders[${i}]`, 'header');
      if (typeof header.name !== 'string' || !header.name) fail(`${hp}.httpHeaders[${i}].name`, 'Required value');
    }
  }
  if (h === 'sleep') integer(v.seconds, `${hp}.seconds`, 0);
}

function probe(v0: Validator, value: unknown, path: string, kind: ProbeKind, c: Container): void {
  const o = v0.object(value, path, 'probe');
  handlers(v0, o, path, ['exec', 'httpGet', 'tcpSocket', 'grpc'], c);
  // 0 is "unset": the defaults apply (SetDefaults_Probe), so only negatives are invalid.
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    integer(o[f], `${path}.${f}`, 0);
  }
  if (kind !== 'readinessProbe' && o.successThreshold !== undefined && ![0, 1].includes(o.successThreshold as number)) {
    fail(`${path}.successThreshold`, `Invalid value: ${o.successThreshold}: must be 1`);
  }
  if (o.terminationGracePeriodSeconds !== undefined) {
    if (kind === 'readinessProbe')
      fail(`${path}.terminationGracePeriodSeconds`, 'Forbidden: may not be set for readinessProbes');
    integer(o.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`, 1);
  }
}

function container(v0: Validator, value: unknown, path: string, init: boolean): Container {
  const o = v0.object(value, path, 'container');
  if (typeof o.name !== 'string' || !o.name) fail(`${path}.name`, 'Required value');
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.name))
    fail(
      `${path}.name`,
      `Invalid value: ${JSON.stringify(o.name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
    );
  if (typeof o.image !== 'string' || !o.image) fail(`${path}.image`, 'Required value');
  strings(o.command, `${path}.command`);
  strings(o.args, `${path}.args`);
  if (o.workingDir !== undefined && (typeof o.workingDir !== 'string' || !o.workingDir.startsWith('/')))
    fail(`${path}.workingDir`, 'must be an absolute path');
  if (o.restartPolicy !== undefined) {
    if (!init) fail(`${path}.restartPolicy`, 'Forbidden: may not be set for non-init containers in this version');
    if (o.restartPolicy !== 'Always')
      fail(
        `${path}.restartPolicy`,
        `Unsupported value: ${JSON.stringify(o.restartPolicy)}: supported values: "Always"`,
      );
  }
  const sidecar = init && o.restartPolicy === 'Always';
  for (const [i, e] of array(o.env, `${path}.env`).entries()) {
    const ep = `${path}.env[${i}]`;
    const env = v0.object(e, ep, 'env');
    if (typeof env.name !== 'string' || !env.name) fail(`${ep}.name`, 'Required value');
    if (env.value !== undefined && typeof env.value !== 'string') fail(`${ep}.value`, 'must be a string');
    if (env.valueFrom !== undefined) {
      if (env.value !== undefined)
        fail(`${ep}.valueFrom`, 'Invalid value: may not be specified when `value` is not empty');
      const from = v0.object(env.valueFrom, `${ep}.valueFrom`, 'valueFrom');
      const ref = v0.object(from.fieldRef, `${ep}.valueFrom.fieldRef`, 'fieldRef');
      if (!FIELD_REFS.includes(ref.fieldPath as string))
        fail(
          `${ep}.valueFrom.fieldRef.fieldPath`,
          `Unsupported value: ${JSON.stringify(ref.fieldPath)}: supported values: ${FIELD_REFS.map((f) => `"${f}"`).join(', ')}`,
        );
    }
  }
  for (const [i, p] of array(o.ports, `${path}.ports`).entries()) {
    const pp = v0.object(p, `${path}.ports[${i}]`, 'port');
    integer(pp.containerPort, `${path}.ports[${i}].containerPort`, 1);
  }
  const c = o as unknown as Container;
  for (const kind of PROBE_KINDS) {
    if (o[kind] === undefined) continue;
    if (init && !sidecar)
      fail(`${path}.${kind}`, 'Forbidden: may not be set for init containers without restartPolicy=Always');
    probe(v0, o[kind], `${path}.${kind}`, kind, c);
  }
  if (o.lifecycle !== undefined) {
    if (init && !sidecar)
      fail(`${path}.lifecycle`, 'Forbidden: may not be set for init containers without restartPolicy=Always');
    const l = v0.object(o.lifecycle, `${path}.lifecycle`, 'lifecycle');
    if (l.stopSignal !== undefined) v0.ignored.push(`${path}.lifecycle.stopSignal`);
    for (const hook of ['postStart', 'preStop'] as const) {
      if (l[hook] !== undefined)
        handlers(
          v0,
          v0.object(l[hook], `${path}.lifecycle.${hook}`, 'hook'),
          `${path}.lifecycle.${hook}`,
          ['exec', 'httpGet', 'sleep'],
          c,
        );
    }
  }
  return c;
}

/** The API server's defaults for a probe's timing fields (0 or unset: the default). */
export function resolveProbe(p: Probe): ResolvedProbe {
  return {
    ...p,
    timeoutSeconds: p.timeoutSeconds || 1,
    periodSeconds: p.periodSeconds || 10,
    successThreshold: p.successThreshold || 1,
    failureThreshold: p.failureThreshold || 3,
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    ...(p.httpGet
      ? { httpGet: { ...p.httpGet, path: p.httpGet.path || '/', scheme: p.httpGet.scheme || 'HTTP' } }
      : {}),
  };
}

/** Sleep hooks: more than 0 s and at most the grace period (validateSleepAction). */
function sleepHooks(containers: [string, Container][], grace: number): void {
  for (const [path, c] of containers) {
    for (const hook of ['postStart', 'preStop'] as const) {
      const seconds = c.lifecycle?.[hook]?.sleep?.seconds;
      if (seconds === undefined) continue;
      if (seconds <= 0 || seconds > grace)
        fail(
          `${path}.lifecycle.${hook}.sleep.seconds`,
          `Invalid value: ${seconds}: must be greater than 0 and less than terminationGracePeriodSeconds (${grace})`,
        );
    }
  }
}

interface PodSource {
  metadata: unknown;
  spec: unknown;
  from: string;
  /** The restart policies the workload allows, and its default. */
  policies: string[];
  defaultPolicy?: string;
  path: string;
}

/** Validate a pod's metadata and spec; every error names the field path. */
function validateSpec(src: PodSource): PodSpecResolved {
  const v0 = new Validator();
  const p = src.path;
  const meta = v0.object(src.metadata ?? {}, `${p}metadata`, 'metadata');
  const name = typeof meta.name === 'string' ? meta.name : undefined;
  if (!name) fail(`${p}metadata.name`, 'Required value: name or generateName is required');
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name))
    fail(
      `${p}metadata.name`,
      `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  const spec = v0.object(src.spec, `${p}spec`, 'spec');
  const policy = spec.restartPolicy ?? src.defaultPolicy;
  if (policy === undefined)
    fail(`${p}spec.restartPolicy`, `Required value: valid values: ${src.policies.map((x) => `"${x}"`).join(', ')}`);
  if (!src.policies.includes(policy as string))
    fail(
      `${p}spec.restartPolicy`,
      `Unsupported value: ${JSON.stringify(policy)}: supported values: ${src.policies.map((x) => `"${x}"`).join(', ')}`,
    );
  integer(spec.terminationGracePeriodSeconds, `${p}spec.terminationGracePeriodSeconds`, 0);
  if (spec.shareProcessNamespace !== undefined && typeof spec.shareProcessNamespace !== 'boolean')
    fail(`${p}spec.shareProcessNamespace`, 'must be true or false');
  const containers = array(spec.containers, `${p}spec.containers`).map((c, i) =>
    container(v0, c, `${p}spec.containers[${i}]`, false),
  );
  if (!containers.length) fail(`${p}spec.containers`, 'Required value: at least one container');
  const initContainers = array(spec.initContainers, `${p}spec.initContainers`).map((c, i) =>
    container(v0, c, `${p}spec.initContainers[${i}]`, true),
  );
  const all: [string, Container][] = [
    ...initContainers.map((c, i) => [`${p}spec.initContainers[${i}]`, c] as [string, Container]),
    ...containers.map((c, i) => [`${p}spec.containers[${i}]`, c] as [string, Container]),
  ];
  const seen = new Set<string>();
  for (const [path, c] of all) {
    if (seen.has(c.name)) fail(`${path}.name`, `Duplicate value: "${c.name}"`);
    seen.add(c.name);
  }
  const grace = (spec.terminationGracePeriodSeconds as number | undefined) ?? 30;
  sleepHooks(all, grace);
  return {
    name,
    namespace: typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default',
    uid: randomUUID(),
    restartPolicy: policy as PodSpecResolved['restartPolicy'],
    terminationGracePeriodSeconds: grace,
    shareProcessNamespace: (spec.shareProcessNamespace as boolean | undefined) ?? false,
    initContainers,
    containers,
    from: src.from,
    ignored: v0.ignored,
  };
}

/** A Pod, or a workload's pod template (one replica, named as its controller would). */
function podSource(doc: Record<string, unknown>, index: number, multi: boolean): PodSource | string {
  const at = multi ? `(document ${index + 1}) ` : '';
  const kind = doc.kind;
  if (kind === 'Pod') {
    if (doc.apiVersion !== 'v1')
      fail(`${at}apiVersion`, `Unsupported value: ${JSON.stringify(doc.apiVersion)}: must be "v1"`);
    new Validator().object(doc, `${at}(manifest)`, 'pod');
    return {
      metadata: doc.metadata,
      spec: doc.spec,
      from: `Pod/${(doc.metadata as { name?: string } | undefined)?.name ?? ''}`,
      policies: ['Always', 'OnFailure', 'Never'],
      defaultPolicy: 'Always',
      path: at,
    };
  }
  const workload = typeof kind === 'string' ? WORKLOADS[kind] : undefined;
  if (!workload) return typeof kind === 'string' ? kind : '(no kind)';
  if (doc.apiVersion !== workload.apiVersion)
    fail(
      `${at}apiVersion`,
      `Unsupported value: ${JSON.stringify(doc.apiVersion)}: ${kind} must be "${workload.apiVersion}"`,
    );
  const name = (doc.metadata as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || !name) fail(`${at}metadata.name`, 'Required value');
  const spec = doc.spec as Record<string, unknown> | undefined;
  const template = spec ? (workload.template(spec) as Record<string, unknown> | undefined) : undefined;
  const tpath = kind === 'CronJob' ? 'spec.jobTemplate.spec.template' : 'spec.template';
  if (!template || typeof template !== 'object') fail(`${at}${tpath}`, 'Required value: a pod template');
  const job = kind === 'Job' || kind === 'CronJob';
  return {
    metadata: {
      ...((template.metadata as Record<string, unknown> | undefined) ?? {}),
      name: kind === 'StatefulSet' ? `${name}-0` : `${name}-${job ? 'run' : 'pod'}`,
      ...((doc.metadata as { namespace?: string }).namespace
        ? { namespace: (doc.metadata as { namespace?: string }).namespace }
        : {}),
    },
    spec: template.spec,
    from: `${kind}/${name}`,
    // Controllers accept only Always; Jobs only OnFailure or Never, with no default.
    policies: job ? ['OnFailure', 'Never'] : ['Always'],
    defaultPolicy: job ? undefined : 'Always',
    path: `${at}${tpath}.`,
  };
}

/**
 * Parse and validate a manifest's text: a Pod or a workload (Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, Job, CronJob), alone or among other documents (Services,
 * ConfigMaps... are skipped). `select` (`KIND/NAME` or `NAME`) picks one when there are
 * several. A bad one is a one-line error naming the field.
 */
export function parsePod(text: string, source: string, select?: string): PodSpecResolved {
  const docs = parseAllDocuments(text);
  const bad = docs.find((d) => d.errors.length);
  if (bad) throw new BadInputError(`${source} is not valid YAML: ${bad.errors[0]?.message.split('\n')[0]}`);
  const values = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  try {
    const runnable: PodSource[] = [];
    const skipped: string[] = [];
    for (const [i, v] of values.entries()) {
      if (typeof v !== 'object' || Array.isArray(v))
        fail(values.length > 1 ? `(document ${i + 1})` : '(manifest)', 'must be an object');
      const s = podSource(v as Record<string, unknown>, i, values.length > 1);
      if (typeof s === 'string') skipped.push(s);
      else runnable.push(s);
    }
    if (values.length === 1 && skipped.length === 1)
      fail(
        'kind',
        `Unsupported value: ${JSON.stringify(skipped[0])}: must be "Pod" or a workload (${Object.keys(WORKLOADS).join(', ')})`,
      );
    let chosen = runnable;
    if (select) {
      chosen = runnable.filter((s) => s.from === select || s.from.split('/')[1] === select);
      if (!chosen.length)
        throw new BadInputError(
          `${source}: nothing named ${select} to run (found ${runnable.map((s) => s.from).join(', ') || 'none'})`,
        );
    }
    if (!chosen.length)
      throw new BadInputError(`${source}: no Pod or workload to run (found ${skipped.join(', ') || 'nothing'})`);
    if (chosen.length > 1)
      throw new BadInputError(
        `${source} holds ${chosen.length} runnable objects (${chosen.map((s) => s.from).join(', ')}): pick one with --select KIND/NAME`,
      );
    return validateSpec(chosen[0] as PodSource);
  } catch (err) {
    if (err instanceof Invalid) throw new BadInputError(`invalid pod ${source}: ${err.message}`);
    throw err;
  }
}

export type { Container, LifecycleHandler, Pod };
