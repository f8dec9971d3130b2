import type { Container, Pod, Probe, LifecycleHandler } from 'kubernetes-types/core/v1.js';
import { parse as parseYaml } from 'yaml';
import { BadInputError } from '../errors.js';

/**
 * The Pod manifest subset the emulator runs, validated with the API server's rules
 * and filled with its defaults. Types are the published Kubernetes ones.
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
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds: number;
  shareProcessNamespace: boolean;
  initContainers: Container[];
  containers: Container[];
}

class Invalid extends Error {}

const ALLOWED: Record<string, readonly string[]> = {
  pod: ['apiVersion', 'kind', 'metadata', 'spec'],
  metadata: ['name', 'namespace', 'labels', 'annotations'],
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
  ],
  env: ['name', 'value'],
  port: ['containerPort', 'name', 'protocol'],
  lifecycle: ['postStart', 'preStop'],
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

function fail(path: string, message: string): never {
  throw new Invalid(`${path}: ${message}`);
}

function object(value: unknown, path: string, kind: keyof typeof ALLOWED): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!ALLOWED[kind]?.includes(key)) fail(`${path}.${key}`, 'unknown field (or one this emulator does not support)');
  }
  return o;
}

function array(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, 'must be a list');
  return value;
}

function strings(value: unknown, path: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(path, 'must be a list of strings');
}

function integer(value: unknown, path: string, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(path, `must be an integer >= ${min}`);
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

function handlers(o: Record<string, unknown>, path: string, allowed: string[], c: Container): void {
  const present = allowed.filter((h) => o[h] !== undefined);
  if (present.length === 0) fail(path, `must specify a handler type (one of ${allowed.join(', ')})`);
  if (present.length > 1)
    fail(path, `Forbidden: may not specify more than 1 handler type (found ${present.join(', ')})`);
  const h = present[0] as string;
  const hp = `${path}.${h}`;
  const v = object(o[h], hp, h as keyof typeof ALLOWED);
  if (h === 'exec') {
    strings(v.command, `${hp}.command`);
    if (!Array.isArray(v.command) || !v.command.length) fail(`${hp}.command`, 'Required value');
  }
  if (h === 'httpGet' || h === 'tcpSocket' || h === 'grpc') port(v.port, `${hp}.port`, c);
  if (h === 'httpGet') {
    if (v.scheme !== undefined && v.scheme !== 'HTTP' && v.scheme !== 'HTTPS')
      fail(`${hp}.scheme`, 'must be HTTP or HTTPS');
    for (const [i, hd] of array(v.httpHeaders, `${hp}.httpHeaders`).entries())
      object(hd, `${hp}.httpHeaders[${i}]`, 'header');
  }
  if (h === 'sleep') integer(v.seconds, `${hp}.seconds`, 0);
}

function probe(value: unknown, path: string, kind: ProbeKind, c: Container): void {
  const o = object(value, path, 'probe');
  handlers(o, path, ['exec', 'httpGet', 'tcpSocket', 'grpc'], c);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    integer(o[f], `${path}.${f}`, f === 'initialDelaySeconds' ? 0 : 1);
  }
  if (kind !== 'readinessProbe' && o.successThreshold !== undefined && o.successThreshold !== 1) {
    fail(`${path}.successThreshold`, `Invalid value: ${o.successThreshold}: must be 1`);
  }
  if (o.terminationGracePeriodSeconds !== undefined) {
    if (kind === 'readinessProbe')
      fail(`${path}.terminationGracePeriodSeconds`, 'Forbidden: may not be set for readinessProbes');
    integer(o.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`, 1);
  }
}

function container(value: unknown, path: string, init: boolean): Container {
  const o = object(value, path, 'container');
  if (typeof o.name !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.name)) {
    fail(`${path}.name`, 'Required value: a DNS label (lower-case letters, digits and "-")');
  }
  if (typeof o.image !== 'string' || !o.image) fail(`${path}.image`, 'Required value');
  strings(o.command, `${path}.command`);
  strings(o.args, `${path}.args`);
  for (const [i, e] of array(o.env, `${path}.env`).entries()) {
    const env = object(e, `${path}.env[${i}]`, 'env');
    if (typeof env.name !== 'string' || !env.name) fail(`${path}.env[${i}].name`, 'Required value');
    if (env.value !== undefined && typeof env.value !== 'string') fail(`${path}.env[${i}].value`, 'must be a string');
  }
  for (const [i, p] of array(o.ports, `${path}.ports`).entries()) {
    const pp = object(p, `${path}.ports[${i}]`, 'port');
    integer(pp.containerPort, `${path}.ports[${i}].containerPort`, 1);
  }
  const c = o as unknown as Container;
  for (const kind of PROBE_KINDS) {
    if (o[kind] === undefined) continue;
    if (init) fail(`${path}.${kind}`, 'Forbidden: may not be set for init containers');
    probe(o[kind], `${path}.${kind}`, kind, c);
  }
  if (o.lifecycle !== undefined) {
    if (init) fail(`${path}.lifecycle`, 'Forbidden: may not be set for init containers');
    const l = object(o.lifecycle, `${path}.lifecycle`, 'lifecycle');
    for (const hook of ['postStart', 'preStop'] as const) {
      if (l[hook] !== undefined)
        handlers(
          object(l[hook], `${path}.lifecycle.${hook}`, 'hook'),
          `${path}.lifecycle.${hook}`,
          ['exec', 'httpGet', 'sleep'],
          c,
        );
    }
  }
  return c;
}

/** The API server's defaults for a probe's timing fields. */
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

/** Validate a parsed manifest; every error names the field path. */
export function validatePod(value: unknown): PodSpecResolved {
  const pod = object(value, '(manifest)', 'pod') as Pod & Record<string, unknown>;
  if (pod.apiVersion !== 'v1') fail('apiVersion', `Unsupported value: ${JSON.stringify(pod.apiVersion)}: must be "v1"`);
  if (pod.kind !== 'Pod') fail('kind', `Unsupported value: ${JSON.stringify(pod.kind)}: must be "Pod"`);
  const meta = object(pod.metadata, 'metadata', 'metadata');
  if (typeof meta.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(meta.name))
    fail('metadata.name', 'Required value: a DNS subdomain');
  const spec = object(pod.spec, 'spec', 'spec');
  const policy = spec.restartPolicy ?? 'Always';
  if (!['Always', 'OnFailure', 'Never'].includes(policy as string))
    fail('spec.restartPolicy', `Unsupported value: ${JSON.stringify(policy)}: must be Always, OnFailure or Never`);
  integer(spec.terminationGracePeriodSeconds, 'spec.terminationGracePeriodSeconds', 0);
  if (spec.shareProcessNamespace !== undefined && typeof spec.shareProcessNamespace !== 'boolean')
    fail('spec.shareProcessNamespace', 'must be true or false');
  const containers = array(spec.containers, 'spec.containers').map((c, i) =>
    container(c, `spec.containers[${i}]`, false),
  );
  if (!containers.length) fail('spec.containers', 'Required value: at least one container');
  const initContainers = array(spec.initContainers, 'spec.initContainers').map((c, i) =>
    container(c, `spec.initContainers[${i}]`, true),
  );
  const seen = new Set<string>();
  for (const [i, c] of [
    ...initContainers.map((c, i) => [`spec.initContainers[${i}]`, c] as const),
    ...containers.map((c, i) => [`spec.containers[${i}]`, c] as const),
  ].entries()) {
    void i;
    if (seen.has(c[1].name)) fail(`${c[0]}.name`, `Duplicate value: "${c[1].name}"`);
    seen.add(c[1].name);
  }
  return {
    name: meta.name,
    restartPolicy: policy as PodSpecResolved['restartPolicy'],
    terminationGracePeriodSeconds: (spec.terminationGracePeriodSeconds as number | undefined) ?? 30,
    shareProcessNamespace: (spec.shareProcessNamespace as boolean | undefined) ?? false,
    initContainers,
    containers,
  };
}

/** Parse and validate a manifest's text; a bad one is a one-line error naming the field. */
export function parsePod(text: string, source: string): PodSpecResolved {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new BadInputError(`${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return validatePod(value);
  } catch (err) {
    if (err instanceof Invalid) throw new BadInputError(`invalid pod ${source}: ${err.message}`);
    throw err;
  }
}

export type { Container, LifecycleHandler };
