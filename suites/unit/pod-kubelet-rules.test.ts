/**
 * The kubelet's pure rules, checked without an engine: actions from status
 * (computePodActions), the phase (getPhase), conditions, $(VAR) expansion, back-off,
 * event formats, and manifests as users write them (workloads, several documents).
 */
import { describe, expect, it } from 'vitest';
import { goDuration, MESSAGES, sleepAtLeast } from '../../harness/pod/events.js';
import { monotonicMs } from '../../harness/observe/clock.js';
import { containerEnv, expand } from '../../harness/pod/expansion.js';
import { fidelityMarkdown, notesFor } from '../../harness/pod/fidelity.js';
import { parsePod, resolveProbe, type PodSpecResolved } from '../../harness/pod/manifest.js';
import { Backoff } from '../../harness/pod/backoff.js';
import { getPhase, podConditions, type ContainerRecord, type State } from '../../harness/pod/status.js';
import { computePodActions } from '../../harness/pod/sync.js';
import { BadInputError } from '../../harness/errors.js';
import { readFileSync } from 'node:fs';

const spec = (yaml: string) => parsePod(yaml, 'p.yaml');
const POD = (body: string, policy = 'Always') => `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  restartPolicy: ${policy}
${body}`;

const running: State = { running: { startedAt: 't' } };
const exited = (exitCode: number): State => ({
  terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: 't', finishedAt: 't' },
});
const waiting = (reason = 'ContainerCreating'): State => ({ waiting: { reason } });

function records(s: PodSpecResolved, states: Record<string, Partial<ContainerRecord>>) {
  const m = new Map<string, ContainerRecord>();
  for (const c of [...s.initContainers, ...s.containers]) {
    m.set(c.name, {
      name: c.name,
      image: 'img',
      kind: s.containers.includes(c) ? 'app' : c.restartPolicy === 'Always' ? 'sidecar' : 'init',
      restartCount: 0,
      started: false,
      ready: false,
      state: waiting(),
      lastState: null,
      containerId: null,
      ...states[c.name],
    });
  }
  return m;
}

const sidecarPod = spec(
  POD(
    `  initContainers:
    - { name: init, image: img }
    - { name: side, image: img, restartPolicy: Always }
  containers:
    - { name: a, image: img }
    - { name: b, image: img }`,
    'Never',
  ),
);

describe('computePodActions', () => {
  it('starts init containers one at a time, a sidecar before the next waits for it to start', () => {
    const s = sidecarPod;
    expect(
      computePodActions({ spec: s, records: records(s, {}), live: new Set(), probeFailed: new Map() }),
    ).toMatchObject({
      initToStart: 'init',
      containersToStart: [],
    });
    const afterInit = records(s, { init: { state: exited(0) } });
    expect(
      computePodActions({ spec: s, records: afterInit, live: new Set(), probeFailed: new Map() }).initToStart,
    ).toBe('side');
    // The sidecar runs but has not started (startup probe pending): nothing else starts.
    const sideUp = records(s, { init: { state: exited(0) }, side: { state: running, started: false } });
    expect(
      computePodActions({ spec: s, records: sideUp, live: new Set(['side']), probeFailed: new Map() }),
    ).toMatchObject({
      initToStart: null,
      containersToStart: [],
    });
    sideUp.get('side')!.started = true;
    expect(
      computePodActions({ spec: s, records: sideUp, live: new Set(['side']), probeFailed: new Map() })
        .containersToStart,
    ).toEqual(['a', 'b']);
  });

  it('restarts an exited sidecar under restartPolicy Never, and stops sidecars once the app containers are done', () => {
    const s = sidecarPod;
    const r = records(s, {
      init: { state: exited(0) },
      side: { state: exited(1) },
      a: { state: running },
      b: { state: running },
    });
    expect(
      computePodActions({ spec: s, records: r, live: new Set(['a', 'b']), probeFailed: new Map() }).initToStart,
    ).toBe('side');
    const done = records(s, {
      init: { state: exited(0) },
      side: { state: running, started: true },
      a: { state: exited(0) },
      b: { state: exited(1) },
    });
    expect(computePodActions({ spec: s, records: done, live: new Set(['side']), probeFailed: new Map() }).killPod).toBe(
      'completed',
    );
  });

  it("says ', will be restarted' on a liveness kill only when the policy restarts", () => {
    for (const [policy, message] of [
      ['Always', 'Container a failed liveness probe, will be restarted'],
      ['OnFailure', 'Container a failed liveness probe, will be restarted'],
      ['Never', 'Container a failed liveness probe'],
    ]) {
      // b keeps running, so the pod is not killed (keepCount > 0).
      const s = spec(POD(`  containers:\n    - { name: a, image: img }\n    - { name: b, image: img }`, policy));
      const r = records(s, { a: { state: running, started: true }, b: { state: running, started: true } });
      const actions = computePodActions({
        spec: s,
        records: r,
        live: new Set(['a', 'b']),
        probeFailed: new Map([['a', 'liveness']]),
      });
      expect(actions.containersToKill).toEqual([{ name: 'a', message, probe: 'liveness' }]);
      expect(actions.killPod).toBeNull();
    }
  });

  it('a sidecar failing liveness: "Init container X failed liveness probe", restarted whatever the policy (computeInitContainerActions)', () => {
    const s = spec(
      POD(
        `  initContainers:\n    - { name: side, image: img, restartPolicy: Always }\n  containers:\n    - { name: a, image: img }`,
        'Never',
      ),
    );
    const r = records(s, { side: { state: running, started: true }, a: { state: running, started: true } });
    const actions = computePodActions({
      spec: s,
      records: r,
      live: new Set(['side', 'a']),
      probeFailed: new Map([['side', 'liveness']]),
    });
    expect(actions.containersToKill).toEqual([
      { name: 'side', message: 'Init container side failed liveness probe', probe: 'liveness' },
    ]);
  });

  it('under Never, the only container failing liveness kills the pod, not the container (computePodActions: keepCount == 0 && no ContainersToStart => KillPod)', () => {
    const s = spec(POD(`  containers:\n    - { name: a, image: img }`, 'Never'));
    const r = records(s, { a: { state: running, started: true } });
    const actions = computePodActions({
      spec: s,
      records: r,
      live: new Set(['a']),
      probeFailed: new Map([['a', 'liveness']]),
    });
    expect(actions).toMatchObject({ killPod: 'nothing-to-run', containersToKill: [], containersToStart: [] });
  });

  it('a failed init container under Never fails the pod; under OnFailure it is retried', () => {
    const never = spec(
      POD(`  initContainers:\n    - { name: i, image: img }\n  containers:\n    - { name: a, image: img }`, 'Never'),
    );
    expect(
      computePodActions({
        spec: never,
        records: records(never, { i: { state: exited(1) } }),
        live: new Set(),
        probeFailed: new Map(),
      }).killPod,
    ).toBe('init-failed');
    const onFailure = spec(
      POD(
        `  initContainers:\n    - { name: i, image: img }\n  containers:\n    - { name: a, image: img }`,
        'OnFailure',
      ),
    );
    expect(
      computePodActions({
        spec: onFailure,
        records: records(onFailure, { i: { state: exited(1) } }),
        live: new Set(),
        probeFailed: new Map(),
      }).initToStart,
    ).toBe('i');
  });

  it('restart rules for app containers: OnFailure restarts only failures, Never nothing', () => {
    for (const [policy, code, restart] of [
      ['OnFailure', 0, false],
      ['OnFailure', 3, true],
      ['Never', 3, false],
      ['Always', 0, true],
    ] as const) {
      const s = spec(POD(`  containers:\n    - { name: a, image: img }`, policy));
      const actions = computePodActions({
        spec: s,
        records: records(s, { a: { state: exited(code) } }),
        live: new Set(),
        probeFailed: new Map(),
      });
      expect(actions.containersToStart, `${policy} exit ${code}`).toEqual(restart ? ['a'] : []);
    }
  });
});

describe('getPhase', () => {
  const one = (policy: string) => spec(POD(`  containers:\n    - { name: a, image: img }`, policy));
  it.each([
    ['Always', { a: { state: exited(0) } }, false, 'Running'],
    ['Always', { a: { state: waiting('CrashLoopBackOff'), lastState: exited(2) } }, false, 'Running'],
    ['Always', { a: { state: waiting('CrashLoopBackOff'), lastState: exited(2) } }, true, 'Failed'],
    ['Always', { a: { state: exited(0) } }, true, 'Succeeded'],
    ['OnFailure', { a: { state: exited(0) } }, false, 'Succeeded'],
    ['OnFailure', { a: { state: exited(1) } }, false, 'Running'],
    ['Never', { a: { state: exited(1) } }, false, 'Failed'],
    ['Never', { a: { state: waiting() } }, false, 'Pending'],
  ] as const)('%s %j terminal=%s: %s', (policy, states, terminal, phase) => {
    const s = one(policy);
    expect(getPhase(s, records(s, states), terminal)).toBe(phase);
  });

  it('stays Pending while a sidecar has not started, and ignores terminated sidecars', () => {
    const s = sidecarPod;
    expect(
      getPhase(s, records(s, { init: { state: exited(0) }, side: { state: running, started: false } }), false),
    ).toBe('Pending');
    const done = records(s, {
      init: { state: exited(0) },
      side: { state: exited(137) },
      a: { state: exited(0) },
      b: { state: exited(0) },
    });
    expect(getPhase(s, done, true)).toBe('Succeeded');
  });
});

describe('conditions', () => {
  it('names the unready and incomplete containers; PodCompleted once Succeeded', () => {
    const s = sidecarPod;
    const r = records(s, { init: { state: running } });
    const c = podConditions(s, r, 'Pending', true);
    expect(c.find((x) => x.type === 'Initialized')).toEqual({
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [init side]',
    });
    expect(c.find((x) => x.type === 'ContainersReady')?.message).toBe('containers with unready status: [side a b]');
    expect(podConditions(s, r, 'Succeeded', true).find((x) => x.type === 'Ready')).toMatchObject({
      reason: 'PodCompleted',
    });
  });
});

describe('$(VAR) expansion', () => {
  const vars = new Map([['A', 'x']]);
  it.each([
    ['$(A)', 'x'],
    ['$(B)', '$(B)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$x'],
    ['a$', 'a$'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['pre-$(A)-post', 'pre-x-post'],
  ])('%s -> %s', (input, out) => expect(expand(input, vars)).toBe(out));

  it('env values expand against the variables before them', () => {
    const env = containerEnv([
      { name: 'G', value: 'hi' },
      { name: 'T', value: '$(G)-$(LATER)' },
      { name: 'LATER', value: 'l' },
    ]);
    expect(env.get('T')).toBe('hi-$(LATER)');
  });
});

describe('CrashLoopBackOff', () => {
  it('at once, then 10 s doubling to 300 s, and starting over after 600 s', () => {
    let now = 0;
    const b = new Backoff(1, () => now);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      expect(b.isInBackOffSince('a', now)).toBe(i > 0);
      b.next('a', now);
      delays.push(b.get('a') / 1000);
      now += b.get('a');
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
    now += 601_000;
    expect(b.isInBackOffSince('a', now)).toBe(false);
    b.next('a', now);
    expect(b.get('a')).toBe(10_000);
  });

  it('prints delays as Go durations', () => {
    expect([1000, 10_000, 80_000, 300_000, 500].map(goDuration)).toEqual(['1s', '10s', '1m20s', '5m0s', '500ms']);
    expect(MESSAGES.backOff('app', 'p_default(u)')).toBe(
      'Back-off restarting failed container app in pod p_default(u)',
    );
  });
});

describe('the sleep hook', () => {
  it('sleeps at least its duration on the clock the events use (a Node timer alone can end up to 1 ms short)', async () => {
    // Started late in a millisecond, where the event loop's whole-millisecond clock
    // makes a bare 3 ms timer end early now and then.
    const short: number[] = [];
    for (let i = 0; i < 100; i++) {
      while (monotonicMs() % 1 < 0.9);
      const start = monotonicMs();
      expect(await sleepAtLeast(3)).toBe(true);
      const took = monotonicMs() - start;
      if (took < 3) short.push(took);
    }
    expect(short).toEqual([]);
  });

  it('ends early, false, when its signal aborts', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 10);
    // Against a sleep that ignored the abort: it would still be asleep when this
    // sentinel (far shorter than the minute asked for, far longer than the abort) fires.
    let sentinel: ReturnType<typeof setTimeout> | undefined;
    const stillAsleep = new Promise<string>(
      (resolve) => (sentinel = setTimeout(() => resolve('still asleep'), 20_000)),
    );
    expect(await Promise.race([sleepAtLeast(60_000, stop.signal), stillAsleep])).toBe(false);
    clearTimeout(sentinel);
  });
});

describe('manifests as users have them', () => {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: img
          resources: { limits: { memory: 64Mi } }
`;
  it('runs a Deployment template as one pod, noting the ignored fields', () => {
    const s = spec(`apiVersion: v1\nkind: Service\nmetadata: { name: web }\n---\n${deployment}`);
    expect(s.from).toBe('Deployment/web');
    expect(s.name).toBe('web-pod');
    expect(s.restartPolicy).toBe('Always');
    expect(s.ignored).toEqual(['(document 2) spec.template.spec.containers[0].resources']);
    expect(notesFor(s).at(-1)).toBe('Ignored fields: (document 2) spec.template.spec.containers[0].resources');
  });

  it.each([
    [
      'a Job without restartPolicy',
      'apiVersion: batch/v1\nkind: Job\nmetadata: { name: j }\nspec:\n  template:\n    spec:\n      containers: [{ name: a, image: img }]\n',
      'spec.template.spec.restartPolicy: Required value',
    ],
    [
      'a Deployment with restartPolicy Never',
      deployment.replace('containers:', 'restartPolicy: Never\n      containers:'),
      'Unsupported value: "Never": supported values: "Always"',
    ],
    [
      'a ConfigMap alone',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n',
      'kind: Unsupported value: "ConfigMap"',
    ],
    [
      'two pods',
      `${POD('  containers: [{ name: a, image: img }]')}\n---\n${POD('  containers: [{ name: a, image: img }]').replace('name: p', 'name: q')}`,
      'pick one with --select KIND/NAME',
    ],
    [
      'a sleep hook longer than the grace period',
      POD(
        '  terminationGracePeriodSeconds: 5\n  containers:\n    - name: a\n      image: img\n      lifecycle: { preStop: { sleep: { seconds: 9 } } }',
      ),
      'preStop.sleep.seconds: Invalid value: 9: must be non-negative and less than terminationGracePeriodSeconds (5)',
    ],
    [
      'restartPolicy on an app container',
      POD('  containers: [{ name: a, image: img, restartPolicy: Always }]'),
      'spec.containers[0].restartPolicy: Forbidden',
    ],
    [
      'a secret env reference',
      POD(
        '  containers: [{ name: a, image: img, env: [{ name: X, valueFrom: { secretKeyRef: { name: s, key: k } } }] }]',
      ),
      'valueFrom.secretKeyRef: unknown field',
    ],
  ])('rejects %s in one line', (_what, text, message) => {
    expect(() => spec(text)).toThrow(BadInputError);
    expect(() => spec(text)).toThrow(message);
  });

  it('--select picks one of several', () => {
    const two = `${POD('  containers: [{ name: a, image: img }]')}\n---\n${POD('  containers: [{ name: a, image: img }]').replace('name: p', 'name: q')}`;
    expect(parsePod(two, 'p.yaml', 'Pod/q').name).toBe('q');
    expect(() => parsePod(two, 'p.yaml', 'Pod/r')).toThrow('nothing named Pod/r to run (found Pod/p, Pod/q)');
  });

  it('takes 0 in probe timing fields as the default', () => {
    const s = spec(
      POD(
        '  containers:\n    - name: a\n      image: img\n      livenessProbe: { exec: { command: ["true"] }, periodSeconds: 0, timeoutSeconds: 0, successThreshold: 0 }',
      ),
    );
    expect(resolveProbe(s.containers[0]?.livenessProbe ?? {})).toMatchObject({
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
    });
  });

  it('docs/pod.md carries the fidelity table as generated', () => {
    expect(readFileSync('docs/pod.md', 'utf8')).toContain(fidelityMarkdown());
  });
});
