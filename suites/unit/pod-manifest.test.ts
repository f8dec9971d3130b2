import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { imagesDir } from '../../harness/paths.js';
import { PodSchema } from '../../harness/pod/schema.js';
import type { Pod } from '../../harness/pod/manifest.js';
import { BadInputError } from '../../harness/errors.js';
import { parsePod, resolveProbe } from '../../harness/pod/manifest.js';

const pod = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${spec}`;
const app = `  containers:\n    - name: app\n      image: img\n`;

describe('Pod manifest validation', () => {
  it('fills the API server defaults', () => {
    const spec = parsePod(pod(`${app}      livenessProbe:\n        exec:\n          command: ["true"]\n`), 'p.yaml');
    expect(spec.restartPolicy).toBe('Always');
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(spec.shareProcessNamespace).toBe(false);
    const probe = resolveProbe(spec.containers[0]?.livenessProbe ?? {});
    expect(probe).toMatchObject({
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
      initialDelaySeconds: 0,
    });
    const http = resolveProbe({ httpGet: { port: 80 } });
    expect(http.httpGet).toEqual({ port: 80, path: '/', scheme: 'HTTP' });
  });

  it.each([
    [
      'a probe on an init container',
      `  initContainers:\n    - name: init\n      image: img\n      readinessProbe:\n        exec:\n          command: ["true"]\n${app}`,
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers',
    ],
    [
      'lifecycle on an init container',
      `  initContainers:\n    - name: init\n      image: img\n      lifecycle:\n        preStop:\n          sleep:\n            seconds: 1\n${app}`,
      'spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers',
    ],
    [
      'successThreshold other than 1 on liveness',
      `${app}      livenessProbe:\n        successThreshold: 2\n        exec:\n          command: ["true"]\n`,
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    ],
    [
      'two handlers in one probe',
      `${app}      startupProbe:\n        exec:\n          command: ["true"]\n        tcpSocket:\n          port: 80\n`,
      'spec.containers[0].startupProbe: Forbidden: may not specify more than 1 handler type (found exec, tcpSocket)',
    ],
    ['an unknown field', `${app}      livenesProbe: {}\n`, 'spec.containers[0].livenesProbe: unknown field'],
    [
      'terminationGracePeriodSeconds on a readiness probe',
      `${app}      readinessProbe:\n        terminationGracePeriodSeconds: 5\n        exec:\n          command: ["true"]\n`,
      'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Forbidden: may not be set for readinessProbes',
    ],
    [
      'a port name that is not one (the API server checks the form of a name, not that it is declared)',
      `${app}      readinessProbe:\n        httpGet:\n          port: Http_8\n`,
      'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "Http_8": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ],
    ['a bad restartPolicy', `  restartPolicy: Sometimes\n${app}`, 'spec.restartPolicy: Unsupported value: "Sometimes"'],
  ])('rejects %s in one line naming the field path', (_what, spec, message) => {
    expect(() => parsePod(pod(spec), 'p.yaml')).toThrow(BadInputError);
    expect(() => parsePod(pod(spec), 'p.yaml')).toThrow(`invalid pod p.yaml: ${message}`);
  });
});

describe('names, as the API server words it', () => {
  const named = (name: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: app\n      image: img\n`;
  it('a name that is there but invalid is an invalid value, with the value; a missing one is required', () => {
    expect(() => parsePod(named('Bad_Name'), 'p.yaml')).toThrow(
      /metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    expect(() => parsePod(named('""'), 'p.yaml')).toThrow(/metadata\.name: Required value/);
    expect(() => parsePod(named('ok').replace('- name: app', '- name: App'), 'p.yaml')).toThrow(
      /spec\.containers\[0\]\.name: Invalid value: "App": a lowercase RFC 1123 label/,
    );
  });
});

describe('every problem at once', () => {
  it('names each bad field with its path and the value it got, and keeps reading past the first', () => {
    const spec =
      `  restartPolicy: Sometimes\n  terminationGracePeriodSeconds: -1\n  initContainers:\n    - name: App\n      image: img\n      readinessProbe:\n        exec:\n          command: ["true"]\n` +
      `  containers:\n    - name: app\n      image: 7\n      workingDir: rel\n      ports:\n        - containerPort: 0\n      livenessProbe:\n        periodSeconds: ten\n        timeoutSeconds: -2\n        exec:\n          command: ["true"]\n      lifecycle:\n        preStop:\n          sleep:\n            seconds: 99\n`;
    let message = '';
    try {
      parsePod(pod(spec), 'p.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(BadInputError);
      message = (err as Error).message;
    }
    const problems = message.replace(/^invalid pod p\.yaml: /, '').split('; ');
    expect(problems).toEqual([
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.terminationGracePeriodSeconds: must be an integer >= 0 (got -1)',
      'spec.containers[0].image: must be a string (got 7)',
      'spec.containers[0].workingDir: must be an absolute path (got "rel")',
      'spec.containers[0].ports[0].containerPort: must be an integer >= 1 (got 0)',
      'spec.containers[0].livenessProbe.timeoutSeconds: must be an integer >= 0 (got -2)',
      'spec.containers[0].livenessProbe.periodSeconds: must be an integer >= 0 (got "ten")',
      'spec.initContainers[0].name: Invalid value: "App": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character',
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 99: must be non-negative and less than terminationGracePeriodSeconds (30)',
    ]);
  });

  it('never echoes an env value, which may be a secret', () => {
    const spec = `${app}      env:\n        - name: TOKEN\n          value: 31415926535\n`;
    expect(() => parsePod(pod(spec), 'p.yaml')).toThrow(
      'invalid pod p.yaml: spec.containers[0].env[0].value: must be a string (got a number)',
    );
    expect(() => parsePod(pod(spec), 'p.yaml')).not.toThrow(/31415926535/);
  });

  it('reports unknown fields at every level together with the other problems', () => {
    const text = `apiVersion: v1\nkind: Pod\nmetdata: {}\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      imge: img\n`;
    expect(() => parsePod(text, 'p.yaml')).toThrow(
      'invalid pod p.yaml: (manifest).metdata: unknown field (or one this emulator does not support); spec.containers[0].imge: unknown field (or one this emulator does not support); spec.containers[0].image: Required value',
    );
  });
});

describe('the Pod subset schema (harness/pod/schema.ts) and the validator agree', () => {
  const pods = readdirSync(join(imagesDir(), 'pods')).filter((f) => f.endsWith('.yaml'));
  const docs = pods.flatMap((f) =>
    parseAllDocuments(readFileSync(join(imagesDir(), 'pods', f), 'utf8'))
      .map((d) => d.toJS() as { kind?: string })
      .filter((d) => d?.kind === 'Pod')
      .map((d) => [f, d] as const),
  );

  it('reads its reference manifests (a Pod each, at least)', () => {
    expect(docs.length).toBeGreaterThanOrEqual(pods.length);
  });

  it.each(docs.map(([f, d]) => [`${f} ${(d as Pod).metadata?.name}`, d]))('%s fits the schema', (_name, d) => {
    expect([...Value.Errors(PodSchema, d)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
  });

  const base = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
  const withContainer = (c: Record<string, unknown>) => ({
    ...base,
    spec: { containers: [{ name: 'app', image: 'img', ...c }] },
  });
  it.each([
    ['an unknown field', withContainer({ imagePolicy: 'Always' }), 'spec.containers[0].imagePolicy: unknown field'],
    [
      'an unknown pull policy',
      withContainer({ imagePullPolicy: 'Sometimes' }),
      'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes"',
    ],
    [
      'a port name too long',
      withContainer({ livenessProbe: { tcpSocket: { port: 'a-very-long-port-name' } } }),
      'must be no more than 15 characters',
    ],
    ['no containers', { ...base, spec: { containers: [] } }, 'spec.containers: Required value'],
  ])('both refuse %s', (_what, d, message) => {
    expect(Value.Check(PodSchema, d)).toBe(false);
    expect(() => parsePod(JSON.stringify(d), 'p.yaml')).toThrow(message);
  });

  it('accepts an ignored field and names it in the notes; the schema marks it so', () => {
    const d = withContainer({ resources: { limits: { memory: '1Gi' } } });
    expect(Value.Check(PodSchema, d)).toBe(true);
    expect(parsePod(JSON.stringify(d), 'p.yaml').ignored).toEqual(['spec.containers[0].resources']);
  });
});
