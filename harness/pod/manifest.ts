import { randomUUID } from 'node:crypto';
import type { Container, LifecycleHandler, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { parseAllDocuments } from 'yaml';
import { BadInputError } from '../errors.js';
import { FIELD_REFS, fieldsOf, MAX_SECONDS, POD_OBJECTS, type PodObject } from './schema.js';

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

/** Which fields each object of a manifest has: the schema's (schema.ts), read once. */
const FIELDS = Object.fromEntries(
  (Object.keys(POD_OBJECTS) as PodObject[]).map((kind) => [kind, fieldsOf(kind)]),
) as Record<PodObject, ReturnType<typeof fieldsOf>>;

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

/** A value as an error shows it: JSON, cut short. */
function got(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return ` (got ${text.length > 40 ? `${text.slice(0, 39)}…` : text})`;
}

/**
 * Walks a manifest collecting every problem (fix once, not rerun per field): a problem
 * ends only the part it is in (a field, a probe, a container), the rest is still read.
 */
class Validator {
  readonly ignored: string[] = [];
  readonly errors: string[] = [];

  /** Check one part; a problem in it is recorded and the walk goes on. */
  part<T>(check: () => T): T | undefined {
    try {
      return check();
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      this.errors.push(err.message);
      return undefined;
    }
  }

  object(value: unknown, path: string, kind: PodObject): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      fail(path, `must be an object${got(value)}`);
    const o = value as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (FIELDS[kind].emulated.includes(key)) continue;
      if (FIELDS[kind].ignored.includes(key)) {
        this.ignored.push(`${path}.${key}`);
        continue;
      }
      this.errors.push(`${path}.${key}: unknown field (or one this emulator does not support)`);
    }
    return o;
  }
}

function array(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, `must be a list${got(value)}`);
  return value;
}

function strings(value: unknown, path: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    fail(path, `must be a list of strings${got(value)}`);
}

export { MAX_SECONDS } from './schema.js';

function integer(value: unknown, path: string, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    fail(path, `must be an integer >= ${min}${got(value)}`);
  if (value > MAX_SECONDS)
    fail(
      path,
      `Invalid value: ${value}: must be at most ${MAX_SECONDS} (the longest the emulator can wait, about 24 days)`,
    );
}

function port(value: unknown, path: string): void {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > 65535)
      fail(path, `must be a port number 1-65535 or a named port${got(value)}`);
    return;
  }
  if (typeof value !== 'string' || !value)
    fail(
      path,
      value === undefined ? 'Required value: a port number or name' : `must be a port number or name${got(value)}`,
    );
  // The API server checks the name's form only (validatePortNumOrName, IsValidPortName):
  // one the container does not declare is accepted, and its probe errors at every attempt.
  const problem = portNameProblem(value);
  if (problem) fail(path, `Invalid value: ${JSON.stringify(value)}: ${problem}`);
}

/** What is wrong with a port name (k8s.io/apimachinery validation.IsValidPortName), or null. */
function portNameProblem(name: string): string | null {
  if (name.length > 15) return 'must be no more than 15 characters';
  if (!/^[-a-z0-9]+$/.test(name)) return 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)';
  if (!/[a-z]/.test(name)) return 'must contain at least one letter (a-z)';
  if (name.includes('--')) return 'must not contain consecutive hyphens';
  if (name.startsWith('-') || name.endsWith('-')) return 'must not begin or end with a hyphen';
  return null;
}

function handlers(v0: Validator, o: Record<string, unknown>, path: string, allowed: string[]): void {
  const present = allowed.filter((h) => o[h] !== undefined);
  if (present.length === 0) fail(path, `must specify a handler type (one of ${allowed.join(', ')})`);
  if (present.length > 1)
    fail(path, `Forbidden: may not specify more than 1 handler type (found ${present.join(', ')})`);
  const h = present[0] as string;
  const hp = `${path}.${h}`;
  const v = v0.object(o[h], hp, h as PodObject);
  if (h === 'exec') {
    strings(v.command, `${hp}.command`);
    if (!Array.isArray(v.command) || !v.command.length) fail(`${hp}.command`, 'Required value');
  }
  if (h === 'httpGet' || h === 'tcpSocket' || h === 'grpc') port(v.port, `${hp}.port`);
  if (h === 'grpc' && typeof v.port !== 'number')
    fail(`${hp}.port`, 'must be a port number (grpc takes no named port)');
  if (h === 'httpGet') {
    if (v.scheme !== undefined && v.scheme !== 'HTTP' && v.scheme !== 'HTTPS')
      fail(`${hp}.scheme`, `must be HTTP or HTTPS${got(v.scheme)}`);
    for (const [i, hd] of array(v.httpHeaders, `${hp}.httpHeaders`).entries()) {
      v0.part(() => {
        const header = v0.object(hd, `${hp}.httpHeaders[${i}]`, 'header');
        if (typeof header.name !== 'string' || !header.name) fail(`${hp}.httpHeaders[${i}].name`, 'Required value');
      });
    }
  }
  if (h === 'sleep') integer(v.seconds, `${hp}.seconds`, 0);
}

function probe(v0: Validator, value: unknown, path: string, kind: ProbeKind): void {
  const o = v0.object(value, path, 'probe');
  v0.part(() => handlers(v0, o, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']));
  // 0 is "unset": the defaults apply (SetDefaults_Probe), so only negatives are invalid.
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    v0.part(() => integer(o[f], `${path}.${f}`, 0));
  }
  if (kind !== 'readinessProbe' && o.successThreshold !== undefined && ![0, 1].includes(o.successThreshold as number)) {
    v0.errors.push(`${path}.successThreshold: Invalid value: ${JSON.stringify(o.successThreshold)}: must be 1`);
  }
  if (o.terminationGracePeriodSeconds !== undefined) {
    v0.part(() => {
      if (kind === 'readinessProbe')
        fail(`${path}.terminationGracePeriodSeconds`, 'Forbidden: may not be set for readinessProbes');
      integer(o.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`, 1);
    });
  }
}

function container(v0: Validator, value: unknown, path: string, init: boolean): Container {
  const o = v0.object(value, path, 'container');
  v0.part(() => {
    if (typeof o.name !== 'string' || !o.name)
      fail(`${path}.name`, o.name === undefined || o.name === '' ? 'Required value' : `must be a string${got(o.name)}`);
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.name))
      fail(
        `${path}.name`,
        `Invalid value: ${JSON.stringify(o.name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
      );
  });
  v0.part(() => {
    if (typeof o.image !== 'string' || !o.image)
      fail(
        `${path}.image`,
        o.image === undefined || o.image === '' ? 'Required value' : `must be a string${got(o.image)}`,
      );
  });
  v0.part(() => strings(o.command, `${path}.command`));
  v0.part(() => strings(o.args, `${path}.args`));
  if (o.workingDir !== undefined && (typeof o.workingDir !== 'string' || !o.workingDir.startsWith('/')))
    v0.errors.push(`${path}.workingDir: must be an absolute path${got(o.workingDir)}`);
  if (o.restartPolicy !== undefined) {
    if (!init)
      v0.errors.push(`${path}.restartPolicy: Forbidden: may not be set for non-init containers in this version`);
    else if (o.restartPolicy !== 'Always')
      v0.errors.push(
        `${path}.restartPolicy: Unsupported value: ${JSON.stringify(o.restartPolicy)}: supported values: "Always"`,
      );
  }
  const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
  if (o.imagePullPolicy !== undefined && !pullPolicies.includes(o.imagePullPolicy as string))
    v0.errors.push(
      `${path}.imagePullPolicy: Unsupported value: ${JSON.stringify(o.imagePullPolicy)}: supported values: ${quoted(pullPolicies)}`,
    );
  const sidecar = init && o.restartPolicy === 'Always';
  v0.part(() => {
    for (const [i, e] of array(o.env, `${path}.env`).entries()) v0.part(() => envVar(v0, e, `${path}.env[${i}]`));
  });
  v0.part(() => {
    for (const [i, p] of array(o.ports, `${path}.ports`).entries())
      v0.part(() => {
        const pp = v0.object(p, `${path}.ports[${i}]`, 'port');
        integer(pp.containerPort, `${path}.ports[${i}].containerPort`, 1);
      });
  });
  const c = o as unknown as Container;
  for (const kind of PROBE_KINDS) {
    if (o[kind] === undefined) continue;
    if (init && !sidecar) {
      v0.errors.push(`${path}.${kind}: Forbidden: may not be set for init containers without restartPolicy=Always`);
      continue;
    }
    v0.part(() => probe(v0, o[kind], `${path}.${kind}`, kind));
  }
  if (o.lifecycle !== undefined) {
    if (init && !sidecar)
      v0.errors.push(`${path}.lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always`);
    else
      v0.part(() => {
        const l = v0.object(o.lifecycle, `${path}.lifecycle`, 'lifecycle');
        for (const hook of ['postStart', 'preStop'] as const) {
          if (l[hook] === undefined) continue;
          const hp = `${path}.lifecycle.${hook}`;
          v0.part(() => handlers(v0, v0.object(l[hook], hp, 'hook'), hp, ['exec', 'httpGet', 'sleep']));
        }
      });
  }
  return c;
}

function envVar(v0: Validator, e: unknown, ep: string): void {
  const env = v0.object(e, ep, 'env');
  if (typeof env.name !== 'string' || !env.name) v0.errors.push(`${ep}.name: Required value`);
  // The value itself is never echoed: an env value may be a secret.
  if (env.value !== undefined && typeof env.value !== 'string')
    v0.errors.push(`${ep}.value: must be a string (got a ${Array.isArray(env.value) ? 'list' : typeof env.value})`);
  if (env.valueFrom === undefined) return;
  if (env.value !== undefined) fail(`${ep}.valueFrom`, 'Invalid value: may not be specified when `value` is not empty');
  const from = v0.object(env.valueFrom, `${ep}.valueFrom`, 'valueFrom');
  const ref = v0.object(from.fieldRef, `${ep}.valueFrom.fieldRef`, 'fieldRef');
  if (!FIELD_REFS.includes(ref.fieldPath as string))
    fail(
      `${ep}.valueFrom.fieldRef.fieldPath`,
      `Unsupported value: ${JSON.stringify(ref.fieldPath)}: supported values: ${FIELD_REFS.map((f) => `"${f}"`).join(', ')}`,
    );
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

/**
 * Sleep hooks: 0 s up to the grace period (validateSleepAction, with
 * PodLifecycleSleepActionAllowZero, on by default since 1.33).
 */
function sleepHooks(v0: Validator, containers: [string, Container][], grace: number): void {
  for (const [path, c] of containers) {
    for (const hook of ['postStart', 'preStop'] as const) {
      const seconds = c.lifecycle?.[hook]?.sleep?.seconds;
      if (typeof seconds !== 'number') continue;
      if (seconds < 0 || seconds > grace)
        v0.errors.push(
          `${path}.lifecycle.${hook}.sleep.seconds: Invalid value: ${seconds}: must be non-negative and less than terminationGracePeriodSeconds (${grace})`,
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
  /** Problems already found above the pod (unknown top-level fields). */
  errors: string[];
}

const quoted = (values: string[]): string => values.map((x) => `"${x}"`).join(', ');

/**
 * Validate a pod's metadata and spec. Every problem is reported at once, each naming
 * its field path and the value it got, in the API server's words.
 */
function validateSpec(src: PodSource): PodSpecResolved {
  const v0 = new Validator();
  v0.errors.push(...src.errors);
  const p = src.path;
  const meta = v0.part(() => v0.object(src.metadata ?? {}, `${p}metadata`, 'metadata')) ?? {};
  const name = v0.part(() => {
    const n = meta.name;
    if (n === undefined || n === '') fail(`${p}metadata.name`, 'Required value: name or generateName is required');
    if (typeof n !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(n))
      fail(
        `${p}metadata.name`,
        `Invalid value: ${JSON.stringify(n)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      );
    return n;
  });
  const spec = v0.part(() => v0.object(src.spec, `${p}spec`, 'spec'));
  if (!spec) throw new Invalid(v0.errors.join('; '));
  const policy = spec.restartPolicy ?? src.defaultPolicy;
  if (policy === undefined)
    v0.errors.push(`${p}spec.restartPolicy: Required value: valid values: ${quoted(src.policies)}`);
  else if (!src.policies.includes(policy as string))
    v0.errors.push(
      `${p}spec.restartPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: ${quoted(src.policies)}`,
    );
  v0.part(() => integer(spec.terminationGracePeriodSeconds, `${p}spec.terminationGracePeriodSeconds`, 0));
  if (spec.shareProcessNamespace !== undefined && typeof spec.shareProcessNamespace !== 'boolean')
    v0.errors.push(`${p}spec.shareProcessNamespace: must be true or false${got(spec.shareProcessNamespace)}`);
  const list = (field: 'containers' | 'initContainers', init: boolean): [string, Container][] =>
    (v0.part(() => array(spec[field], `${p}spec.${field}`)) ?? []).flatMap((c, i) => {
      const path = `${p}spec.${field}[${i}]`;
      const checked = v0.part(() => container(v0, c, path, init));
      return checked ? [[path, checked] as [string, Container]] : [];
    });
  const main = list('containers', false);
  if (spec.containers === undefined || (Array.isArray(spec.containers) && !spec.containers.length))
    v0.errors.push(`${p}spec.containers: Required value: at least one container`);
  const inits = list('initContainers', true);
  const all = [...inits, ...main];
  const seen = new Set<string>();
  for (const [path, c] of all) {
    if (typeof c.name !== 'string') continue;
    if (seen.has(c.name)) v0.errors.push(`${path}.name: Duplicate value: "${c.name}"`);
    seen.add(c.name);
  }
  const g = spec.terminationGracePeriodSeconds;
  const grace = typeof g === 'number' && Number.isInteger(g) && g >= 0 && g <= MAX_SECONDS ? g : 30;
  sleepHooks(v0, all, grace);
  if (v0.errors.length || name === undefined) throw new Invalid(v0.errors.join('; '));
  const containers = main.map(([, c]) => c);
  const initContainers = inits.map(([, c]) => c);
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
    const top = new Validator();
    top.object(doc, `${at}(manifest)`, 'pod');
    return {
      errors: top.errors,
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
    errors: [],
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
