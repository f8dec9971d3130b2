/**
 * The kubelet's lifecycle rules replayed on real containers: each manifest under
 * images/pods/ runs as a pod on the engine (all side by side), then its timeline and
 * status are checked against the rule.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { PodEvent } from '../../harness/pod/events.js';
import { faceOffRows, POD_SCENARIOS, runScenarioPods, type PodOutcome } from '../../harness/pod/faceoff.js';
import { stopBands } from '../../harness/observe/stop-timing.js';
import { closeCri, POD_RUNTIMES, runtimeContext } from '../support/harness.js';

/** Event times are kept to 0.1 ms: a difference of two of them may be off by that much. */
const EVENT_CLOCK_MS = 0.1;

afterAll(closeCri);

// The same rules, on the engine and on the harness's containerd through the CRI.
describe.each(POD_RUNTIMES)('on %s', (runtime) => {
  let outcomes = new Map<string, PodOutcome>();

  // Each pod runs until what its rules need has happened (POD_SCENARIOS), then is
  // deleted; the hook timeout only stops a hang.
  beforeAll(async () => {
    outcomes = await runScenarioPods(
      await runtimeContext(runtime),
      Object.keys(POD_SCENARIOS),
      inject('harness').baseImage,
    );
  });

  it.each(Object.keys(POD_SCENARIOS))('%s: ran until its condition held', (key) => {
    const o = outcomes.get(key) as PodOutcome;
    expect(o.until.met, `${key}: ${o.until.text}`).toBe(true);
  });

  /**
   * As the kubelet's pod worker: once the deletion began no container start begins (no
   * Pulled after it); a start already under way finishes (the sync in progress completes
   * before the pod is terminated), so at most that one Started per container comes later.
   */
  it.each(Object.keys(POD_SCENARIOS))('%s: no container start begins once its deletion began', (key) => {
    const o = outcomes.get(key) as PodOutcome;
    const deleting = o.events.find((e) => e.reason === 'Deleting') as PodEvent;
    expect(deleting, `${key}: deleted`).toBeDefined();
    const count = (reason: string, late: boolean, container: string | null) =>
      o.events.filter((e) => e.reason === reason && e.container === container && e.atMs > deleting.atMs === late)
        .length;
    const late = o.events.filter((e) => e.atMs > deleting.atMs);
    expect(late.filter((e) => e.reason === 'Pulled').map((e) => `${e.container} at ${e.atMs} ms`)).toEqual([]);
    for (const c of new Set(late.filter((e) => e.reason === 'Started').map((e) => e.container))) {
      const inFlight = count('Pulled', false, c) - count('Started', false, c);
      expect(count('Started', true, c), `${key}: ${c} started after the deletion began`).toBeLessThanOrEqual(inFlight);
    }
  });

  /**
   * SIGKILL lands the grace period after Killing, no earlier; how much later is a band
   * from the grace period and this pod's measured engine latency (its sandbox start).
   */
  function expectKilledAfterGrace(o: PodOutcome, killAtMs: number, sigkillAtMs: number, graceSeconds: number) {
    const band = stopBands(graceSeconds, o.engineLatencyMs);
    expect(sigkillAtMs - killAtMs).toBeGreaterThanOrEqual(band.killedMinMs - 1);
    expect(sigkillAtMs - killAtMs).toBeLessThanOrEqual(band.killedMaxMs);
  }

  const of = (key: string) => outcomes.get(key) as PodOutcome;
  /** One container's events, one per line, for a failure's message. */
  const timelineOf = (o: PodOutcome, container: string) =>
    o.events
      .filter((e) => e.container === container)
      .map((e) => `${e.atMs.toFixed(0)} ms ${e.reason}: ${e.message}`)
      .join('\n');
  const find = (o: PodOutcome, reason: string, container?: string) =>
    o.events.filter((e) => e.reason === reason && (!container || e.container === container));
  const first = (o: PodOutcome, reason: string, container?: string) => find(o, reason, container)[0];
  const status = (o: PodOutcome, name: string) =>
    [...o.status.containerStatuses, ...o.status.initContainerStatuses].find((c) => c.name === name);

  describe('liveness failure restarts the container', () => {
    it('kills it with the termination sequence and restarts it', () => {
      const o = of('liveness');
      expect(status(o, 'app')?.restartCount).toBeGreaterThanOrEqual(1);
      const kill = first(o, 'Killing', 'app');
      expect(kill?.message).toBe('Container app failed liveness probe, will be restarted');
      expect(find(o, 'Unhealthy', 'app').length).toBeGreaterThanOrEqual(2);
    });

    it('does not re-run the init container when the app container restarts', () => {
      const o = of('liveness');
      expect(find(o, 'Started', 'setup')).toHaveLength(1);
      expect(find(o, 'Started', 'app').length).toBeGreaterThanOrEqual(2);
      expect(status(o, 'setup')?.state).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
    });

    it('runs preStop (its side effect visible) before the stop signal, inside the grace period', () => {
      const o = of('liveness');
      const kill = first(o, 'Killing', 'app') as PodEvent;
      // The first kill's own hook outcome (succeeded or failed), never a later kill's.
      const pre = o.events.find(
        (e) => /^(PreStopHookSucceeded|FailedPreStopHook)$/.test(e.reason) && e.atMs >= kill.atMs,
      ) as PodEvent;
      const sig = o.events.find((e) => e.reason === 'StopSignal' && e.atMs >= kill.atMs) as PodEvent;
      const sigkill = o.events.find((e) => e.reason === 'SIGKILL' && e.atMs >= kill.atMs) as PodEvent;
      expect(`${pre.reason}: ${pre.message} ${pre.detail ?? ''}`).toMatch(/^PreStopHookSucceeded: .*prestop-ran/);
      expect(pre.atMs).toBeLessThanOrEqual(sig.atMs);
      // grace 6 s counted from the kill: preStop time + the rest, then SIGKILL.
      expectKilledAfterGrace(o, kill.atMs, sigkill.atMs, 6);
    });
  });

  describe('init containers', () => {
    it('restartPolicy Never: a failed init container fails the pod, the app never starts', () => {
      const o = of('init-never');
      expect(o.status.phase).toBe('Failed');
      expect(status(o, 'migrate')?.state).toMatchObject({ terminated: { exitCode: 1, reason: 'Error' } });
      expect(find(o, 'Started', 'app')).toEqual([]);
    });

    it('restartPolicy Always: the init container is retried with back-off, the pod stays Pending', () => {
      const o = of('init-always');
      expect(o.status.phase).toBe('Pending');
      expect(status(o, 'migrate')?.restartCount).toBeGreaterThanOrEqual(2);
      expect(find(o, 'BackOff', 'migrate').length).toBeGreaterThanOrEqual(1);
      expect(o.status.conditions.find((c) => c.type === 'Initialized')).toMatchObject({
        status: 'False',
        reason: 'ContainersNotInitialized',
      });
      expect(find(o, 'Started', 'app')).toEqual([]);
    });
  });

  describe('ordering, shared process namespace, probe timeouts', () => {
    it('runs init containers one at a time, in order, then the app containers', () => {
      const o = of('ordering');
      const firstDone = first(o, 'Terminated', 'first') as PodEvent;
      const secondStart = first(o, 'Started', 'second') as PodEvent;
      const secondDone = first(o, 'Terminated', 'second') as PodEvent;
      const appStarts = ['worker', 'watcher', 'slow-probe'].map((c) => first(o, 'Started', c) as PodEvent);
      // The first init container sleeps 1 s and completes; the second starts only after
      // the first's exit was seen. Judged on the order of the run's own events, never on
      // a difference of the engine's StartedAt/FinishedAt (a loaded engine stamps
      // StartedAt late: 782 ms was seen for a 1 s sleep).
      expect(status(o, 'first')?.state).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
      const firstStart = first(o, 'Started', 'first') as PodEvent;
      expect(firstDone.atMs).toBeGreaterThan(firstStart.atMs);
      expect(secondStart.atMs).toBeGreaterThanOrEqual(firstDone.atMs);
      for (const s of appStarts) expect(s.atMs).toBeGreaterThanOrEqual(secondDone.atMs);
    });

    it("shareProcessNamespace: a container sees another container's processes", () => {
      expect(first(of('ordering'), 'Ready', 'watcher')).toBeDefined();
    });

    it('an exec probe that outlives its timeout fails, and the prober keeps its period', () => {
      const o = of('ordering');
      const fails = find(o, 'Unhealthy', 'slow-probe');
      expect(fails.length).toBeGreaterThanOrEqual(3);
      expect(fails[0]?.message).toBe('Readiness probe failed: command "sleep 5" timed out');
      // Attempts keep coming once per period, not once per 5 s command: each failure
      // comes sooner after the previous one than the command would take to finish.
      const gaps = fails.slice(1).map((f, i) => f.atMs - (fails[i] as PodEvent).atMs);
      for (const g of gaps) expect(g).toBeLessThan(5000);
      expect(find(o, 'Ready', 'slow-probe')).toEqual([]);
    });
  });

  describe('httpGet and tcpSocket probes from inside the pod network namespace', () => {
    it('a same-host redirect is followed to a 200', () => {
      expect(first(of('http'), 'Ready', 'same-host')).toBeDefined();
    });

    it('a redirect to another host is not followed and counts as success, with a warning', () => {
      const o = of('http');
      expect(first(o, 'Ready', 'other-host')).toBeDefined();
      const probe = find(o, 'ProbeSucceeded', 'other-host')[0];
      expect(probe?.message).toMatch(/^Readiness probe succeeded/);
    });

    it('more than 10 redirects and a 404 are failures: not Ready, never restarted', () => {
      const o = of('http');
      for (const name of ['redirect-loop', 'not-found']) {
        expect(find(o, 'Ready', name)).toEqual([]);
        expect(status(o, name)?.restartCount).toBe(0);
        expect(find(o, 'Killing', name).every((e) => e.message.startsWith('Stopping'))).toBe(true);
      }
      // The first attempts can be refused while the server is still starting.
      expect(
        find(o, 'Unhealthy', 'redirect-loop').some(
          // Go's client names the Location as the server gave it (client.go: url.Error.URL = loc).
          (e) => e.message === 'Readiness probe failed: Get "/loop": stopped after 10 redirects',
        ),
      ).toBe(true);
      expect(
        find(o, 'Unhealthy', 'not-found').some(
          (e) => e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 404',
        ),
      ).toBe(true);
    });

    it('a tcpSocket liveness probe on a named port succeeds', () => {
      const o = of('http');
      expect(find(o, 'ProbeSucceeded', 'server').some((e) => e.message.startsWith('Liveness probe succeeded'))).toBe(
        true,
      );
      expect(status(o, 'server')?.restartCount).toBe(0);
    });

    it("a redirect to another host is a ProbeWarning event in the kubelet's words", () => {
      const warning = first(of('http'), 'ProbeWarning', 'other-host');
      expect(warning?.message).toMatch(/^Readiness probe warning: Probe terminated redirects, Response body: /);
      expect(warning?.source).toBe('kubelet');
    });
  });

  describe('hooks and startup probes', () => {
    it('postStart blocks Running: the container is Ready only after the hook returns', () => {
      const o = of('hooks');
      const started = first(o, 'PostStartHookStarted', 'slow-poststart') as PodEvent;
      const done = first(o, 'PostStartHookSucceeded', 'slow-poststart') as PodEvent;
      const ready = first(o, 'Ready', 'slow-poststart') as PodEvent;
      const probe = first(o, 'ProbeSucceeded', 'slow-poststart') as PodEvent;
      // The hook sleeps 2 s.
      expect(done.atMs - started.atMs).toBeGreaterThanOrEqual(2000);
      expect(ready.atMs).toBeGreaterThanOrEqual(done.atMs);
      expect(probe.atMs).toBeGreaterThanOrEqual(done.atMs);
    });

    it('a failing postStart kills the container and it is restarted', () => {
      const o = of('hooks');
      const failed = first(o, 'FailedPostStartHook', 'bad-poststart');
      // The kubelet keeps the hook's output out of the event; the emulator keeps it aside.
      expect(failed?.message).toBe('PostStartHook failed');
      expect(failed?.detail).toContain('cannot warm cache');
      expect(o.events.find((e) => e.reason === 'Killing' && e.container === 'bad-poststart')?.message).toBe(
        'FailedPostStartHook',
      );
      expect(status(o, 'bad-poststart')?.restartCount).toBeGreaterThanOrEqual(1);
    });

    it('the startup probe gates liveness; liveness then kills with its own grace period', () => {
      const o = of('hooks');
      const startup = first(o, 'StartupSucceeded', 'gated') as PodEvent;
      const liveness = o.events.filter((e) => e.container === 'gated' && /^Liveness/.test(e.message));
      expect(liveness.length).toBeGreaterThan(0);
      expect(liveness.every((e) => e.atMs >= startup.atMs)).toBe(true);
      const kill = o.events.find(
        (e) => e.reason === 'Killing' && e.container === 'gated' && /liveness/.test(e.message),
      ) as PodEvent;
      const sigkill = o.events.find(
        (e) => e.reason === 'SIGKILL' && e.container === 'gated' && e.atMs >= kill.atMs,
      ) as PodEvent;
      // Probe-level terminationGracePeriodSeconds: 2 s.
      expectKilledAfterGrace(o, kill.atMs, sigkill.atMs, 2);
    });

    it('a preStop that uses up the grace period still leaves 2 s before SIGKILL', () => {
      const o = of('hooks');
      const pre = first(o, 'PreStopHookStarted', 'slow-poststart') as PodEvent;
      const sig = o.events.find((e) => e.reason === 'StopSignal' && e.container === 'slow-poststart') as PodEvent;
      const sigkill = o.events.find((e) => e.reason === 'SIGKILL' && e.container === 'slow-poststart') as PodEvent;
      // The preStop sleeps 2 s (the whole grace period); the stop signal still gets 2 s.
      expect(sig.atMs - pre.atMs).toBeGreaterThanOrEqual(2000 - EVENT_CLOCK_MS);
      expectKilledAfterGrace(o, sig.atMs, sigkill.atMs, 2);
    });
  });

  describe('the face-off: postStart hook vs init container vs startup probe, from measurement', () => {
    it('derives every row from the scenarios above', () => {
      const rows = faceOffRows(outcomes);
      expect(rows.map((r) => r.mechanism)).toEqual(['postStart hook', 'init container', 'startup probe']);
      const [post, init, startup] = rows;
      expect(post?.sameContainer).toContain('slow-poststart');
      expect(post?.count).toMatch(/^every container start: (\d+) hook run\(s\) for \1 start\(s\)$/);
      expect(post?.onFailure).toMatch(/bad-poststart: [1-9]\d* restart/);
      expect(init?.count).toMatch(/^once per pod: 1 run\(s\) while the app container started [2-9]\d* time\(s\)$/);
      expect(init?.onFailure).toMatch(
        /Never: pod Failed; Always: retried with back-off \([2-9]\d* restarts\), pod Pending/,
      );
      expect(startup?.count).toMatch(/[1-9]\d* failed attempt\(s\), [1-9]\d* success/);
      for (const r of rows) expect(Object.values(r).join(' ')).not.toContain('n/a');
    });
  });

  const kubeletEvents = (o: PodOutcome, container: string) =>
    o.events.filter((e) => e.container === container && e.source === 'kubelet');

  describe('native sidecars (init containers with restartPolicy Always)', () => {
    it('start in order before the app container and stay running; their readiness probe runs', () => {
      const o = of('sidecar');
      const proxyStarted = first(o, 'Started', 'proxy') as PodEvent;
      const flakyStarted = first(o, 'Started', 'flaky') as PodEvent;
      const appStarted = first(o, 'Started', 'app') as PodEvent;
      expect(flakyStarted.atMs).toBeGreaterThanOrEqual(proxyStarted.atMs);
      expect(appStarted.atMs).toBeGreaterThanOrEqual(flakyStarted.atMs);
      expect(first(o, 'Ready', 'proxy')).toBeDefined();
      // proxy never exited before the deletion.
      const deleting = first(o, 'Deleting') as PodEvent;
      expect(find(o, 'Terminated', 'proxy').every((e) => e.atMs > deleting.atMs)).toBe(true);
    });

    it('one that exits is restarted while the pod runs, whatever the restartPolicy', () => {
      const o = of('sidecar');
      expect(status(o, 'flaky')?.restartCount).toBeGreaterThanOrEqual(1);
      expect(find(o, 'Started', 'app')).toHaveLength(1);
    });

    it('on deletion they are killed with the app container but stop after it, and readiness probes keep running meanwhile', () => {
      const o = of('sidecar');
      const deleting = first(o, 'Deleting') as PodEvent;
      const appExit = find(o, 'Terminated', 'app').at(-1) as PodEvent;
      // Killing (and a preStop) at once; the stop signal waits for its turn (kuberuntime_termination_order.go).
      const proxyKill = find(o, 'Killing', 'proxy').at(-1) as PodEvent;
      const proxyStop = find(o, 'StopSignal', 'proxy').at(-1) as PodEvent;
      expect(proxyKill.atMs).toBeLessThanOrEqual(appExit.atMs);
      expect(proxyStop.atMs).toBeGreaterThanOrEqual(appExit.atMs);
      expect(
        o.events.some((e) => e.container === 'proxy' && e.atMs > deleting.atMs && /^Readiness probe/.test(e.message)),
      ).toBe(true);
      expect(status(o, 'proxy')?.state).toMatchObject({ terminated: {} });
    });

    it('do not count for completion: a Job whose work is done Succeeds, its sidecar stopped', () => {
      const o = of('sidecar-job');
      expect(o.status.phase).toBe('Succeeded');
      expect(status(o, 'work')?.state).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
      const done = first(o, 'Terminated', 'work') as PodEvent;
      const stop = first(o, 'Killing', 'log-shipper') as PodEvent;
      expect(stop.message).toBe('Stopping container log-shipper');
      expect(stop.atMs).toBeGreaterThanOrEqual(done.atMs);
      expect(o.status.conditions.find((c) => c.type === 'Ready')).toMatchObject({
        status: 'False',
        reason: 'PodCompleted',
      });
    });
  });

  describe('the pod IP on its own internal network, probed from the node', () => {
    it('a server bound to 127.0.0.1 fails its httpGet liveness probe from the node and is restarted', () => {
      const o = of('network');
      expect(status(o, 'local-only')?.restartCount).toBeGreaterThanOrEqual(1);
      const fail = find(o, 'Unhealthy', 'local-only').find((e) => e.message.startsWith('Liveness'));
      expect(fail?.message).toMatch(
        /^Liveness probe failed: Get "http:\/\/(\d+\.\d+\.\d+\.\d+):8081\/": dial tcp \1:8081: connect: connection refused$/,
      );
      expect(o.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(fail?.message).toContain(`${o.status.podIP}:8081`);
    });

    it('bound to 0.0.0.0 it passes and is never restarted', () => {
      const o = of('network');
      expect(find(o, 'ProbeSucceeded', 'all-interfaces').some((e) => e.message.startsWith('Liveness'))).toBe(true);
      expect(find(o, 'Unhealthy', 'all-interfaces').filter((e) => e.message.startsWith('Liveness'))).toEqual([]);
      expect(status(o, 'all-interfaces')?.restartCount, timelineOf(o, 'all-interfaces')).toBe(0);
    });

    it('gRPC health probes: SERVING passes the startup probe, NOT_SERVING fails readiness', () => {
      const o = of('network');
      expect(first(o, 'StartupSucceeded', 'grpc')).toBeDefined();
      expect(find(o, 'Unhealthy', 'grpc').map((e) => e.message)).toContain(
        'Readiness probe failed: service unhealthy (responded with "NOT_SERVING")',
      );
      expect(status(o, 'grpc')?.ready).toBe(false);
    });
  });

  describe('start order, expansion, working directory', () => {
    it('app containers start in order and a postStart hook holds back the next one', () => {
      const o = of('order');
      const hookDone = first(o, 'PostStartHookSucceeded', 'proxy') as PodEvent;
      const hookStart = first(o, 'PostStartHookStarted', 'proxy') as PodEvent;
      const appCreated = first(o, 'Created', 'app') as PodEvent;
      // The hook sleeps 3 s.
      expect(hookDone.atMs - hookStart.atMs).toBeGreaterThanOrEqual(3000 - EVENT_CLOCK_MS);
      expect(appCreated.atMs).toBeGreaterThanOrEqual(hookDone.atMs);
    });

    it('on deletion the endpoint stops routing at once, while the Ready condition waits for the containers', () => {
      const o = of('order');
      const deleting = first(o, 'Deleting') as PodEvent;
      const endpoint = o.events.find((e) => e.reason === 'EndpointConditions' && e.atMs >= deleting.atMs) as PodEvent;
      const killing = first(o, 'Killing', 'app') as PodEvent;
      expect(endpoint.message).toBe('ready=false serving=true terminating=true');
      expect(endpoint.atMs).toBeLessThanOrEqual(killing.atMs);
      // Readiness does not drop for the deletion itself: only a probe result or the exit changes it.
      const notReady = o.events.find((e) => e.reason === 'NotReady' && e.container === 'app') as PodEvent;
      expect(notReady.message).toMatch(/readiness probe failed|the container exited/);
      expect(o.endpoint).toEqual({ ready: false, serving: false, terminating: true });
    });

    it('$(VAR) is expanded in env, command and exec probes, fieldRef is set, workingDir applies', () => {
      // The readiness probe greps /tmp/msg for the expanded line the command wrote to ./msg.
      expect(first(of('order'), 'Ready', 'app')?.message).toBe('container is ready: readiness probe succeeded');
    });
  });

  describe('phase, status and events as the kubelet gives them', () => {
    it('a pod deleted during CrashLoopBackOff ends Failed, not Running', () => {
      const o = of('crashloop');
      expect(o.status.phase).toBe('Failed');
      const app = status(o, 'app');
      expect(app?.restartCount).toBeGreaterThanOrEqual(1);
      expect(app?.lastState).toMatchObject({ terminated: { exitCode: 2, reason: 'Error' } });
      const backOff = first(o, 'BackOff', 'app') as PodEvent;
      expect(backOff.message).toMatch(
        /^Back-off restarting failed container app in pod crash-loop_default\([0-9a-f-]{36}\)$/,
      );
    });

    it("while backing off the container waits in CrashLoopBackOff with the kubelet's message", () => {
      const o = of('crashloop');
      // The status at the end keeps the last waiting state (the pod was deleted while backing off).
      const app = status(o, 'app');
      expect(app?.state).toMatchObject({ waiting: { reason: 'CrashLoopBackOff' } });
      expect((app?.state as { waiting: { message: string } }).waiting.message).toMatch(
        /^back-off \d+(\.\d+)?m?s restarting failed container=app pod=crash-loop_default\(/,
      );
    });

    it('Pulled, Created, Started and Killing read as kubectl describe shows them', () => {
      const o = of('liveness');
      expect(
        kubeletEvents(o, 'app')
          .map((e) => e.reason)
          .slice(0, 3),
      ).toEqual(['Pulled', 'Created', 'Started']);
      expect(first(o, 'Pulled', 'app')?.message).toMatch(/^Container image ".+" already present on machine$/);
      expect(first(o, 'Created', 'app')?.message).toBe('Created container: app');
      expect(first(o, 'Started', 'app')?.message).toBe('Started container app');
      expect(find(o, 'Killing', 'app').at(-1)?.message).toBe('Stopping container app');
      // The exec prober's output as written, its newline included (pkg/probe/exec/exec.go).
      expect(first(o, 'Unhealthy', 'app')?.message).toBe(
        'Liveness probe failed: cat: /tmp/healthy: No such file or directory\n',
      );
    });

    it('conditions: PodReadyToStartContainers, and ContainersNotInitialized with the incomplete containers', () => {
      const o = of('init-always');
      expect(o.status.conditions.map((c) => c.type)).toEqual([
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ]);
      expect(o.status.conditions.find((c) => c.type === 'Initialized')?.message).toBe(
        'containers with incomplete status: [migrate]',
      );
      expect(o.status.conditions.find((c) => c.type === 'Ready')?.message).toBe(
        'containers with unready status: [app]',
      );
      expect(status(o, 'app')?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    });

    it('an init container that completed shows ready and not started', () => {
      const setup = status(of('liveness'), 'setup');
      expect(setup?.ready).toBe(true);
      expect(setup?.started).toBe(false);
    });
  });

  describe('probe and hook details', () => {
    it('an httpGet postStart reaches the pod IP with User-Agent kube-lifecycle/1.33', () => {
      const o = of('details');
      expect(first(o, 'PostStartHookSucceeded', 'client')?.message).toBe('postStart hook finished: HTTP 200');
      // The server's readiness probe greps the User-Agent it recorded for /hook.
      expect(first(o, 'Ready', 'server')).toBeDefined();
    });

    it('the server holds back the next container with a postStart that waits for its port', () => {
      const o = of('details');
      const hookDone = first(o, 'PostStartHookSucceeded', 'server') as PodEvent;
      expect((first(o, 'Created', 'client') as PodEvent).atMs).toBeGreaterThanOrEqual(hookDone.atMs);
    });

    it('httpGet probes send User-Agent kube-probe/1.33 and every value of a repeated header', () => {
      const probe = find(of('details'), 'ProbeSucceeded', 'server').find((e) => e.message.startsWith('Liveness'));
      expect(probe?.message).toBe('Liveness probe succeeded: ua=kube-probe/1.33 x-probe=one,two');
    });

    it('an HTTPS probe succeeds against a self-signed certificate, which the kubelet does not verify', () => {
      const probe = find(of('details'), 'ProbeSucceeded', 'tls')[0];
      expect(probe?.message).toBe('Readiness probe succeeded: tls ok');
    });

    it('readiness with successThreshold 3 turns Ready only after three successes in a row', () => {
      const o = of('details');
      const ready = first(o, 'Ready', 'client') as PodEvent;
      const before = find(o, 'ProbeSucceeded', 'client').filter((e) => e.atMs <= ready.atMs);
      expect(before.length).toBeGreaterThanOrEqual(3);
    });

    it('initialDelaySeconds holds the first attempt back that long from the container start', () => {
      const o = of('details');
      const started = first(o, 'Started', 'late') as PodEvent;
      const attempt = o.events.find((e) => e.container === 'late' && /^Readiness probe/.test(e.message)) as PodEvent;
      // Counted from the engine's start time, which precedes the Started event by up to
      // the engine's latency for a container.
      expect(attempt.atMs - started.atMs).toBeGreaterThanOrEqual(3000 - o.engineLatencyMs);
    });

    it("a preStop sleep hook sleeps, and --grace-override replaces the pod's 30 s", () => {
      const o = of('details');
      expect(first(o, 'PreStopHookSucceeded', 'client')?.message).toBe('preStop hook finished: slept 1 s');
      const kill = first(o, 'Killing', 'stubborn') as PodEvent;
      const sigkill = first(o, 'SIGKILL', 'stubborn') as PodEvent;
      expectKilledAfterGrace(o, kill.atMs, sigkill.atMs, 2);
    });
  });

  describe('restart policies for app containers', () => {
    it('OnFailure: exit 0 stays done, exit 1 is restarted (lastState kept), the pod stays Running', () => {
      const o = of('on-failure');
      expect(status(o, 'done')).toMatchObject({
        restartCount: 0,
        started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      });
      const fails = status(o, 'fails');
      expect(fails?.restartCount).toBeGreaterThanOrEqual(1);
      expect(fails?.lastState).toMatchObject({ terminated: { exitCode: 1, reason: 'Error' } });
      expect(status(o, 'keeps-running')?.restartCount).toBe(0);
    });

    it('Never: a failed container is not restarted; with no container left running the pod is killed (its grace period) and Failed', () => {
      const o = of('never');
      expect(o.status.phase).toBe('Failed');
      expect(status(o, 'fails')).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 3 } } });
      expect(find(o, 'Started', 'fails')).toHaveLength(1);
      // The only container left fails liveness: the pod is killed, with the pod's grace period.
      expect(find(o, 'Killing', 'unhealthy').map((e) => e.message)).toEqual(['Stopping container unhealthy']);
      expect(find(o, 'StopSignal', 'unhealthy')[0]?.message).toMatch(/^sending SIGTERM; 3 s left of the grace period/);
      expect(status(o, 'unhealthy')).toMatchObject({ restartCount: 0, state: { terminated: {} } });
    });
  });
});
