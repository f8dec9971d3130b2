import { describe, expect, it } from 'vitest';
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
      'a named port that does not exist',
      `${app}      readinessProbe:\n        httpGet:\n          port: http\n`,
      'spec.containers[0].readinessProbe.httpGet.port: no container port named "http"',
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
