import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { NetAnswer, PodNetwork } from '../../harness/pod/network.js';
import type { RunningContainer } from '../../harness/run/container.js';
import { resolveProbe } from '../../harness/pod/manifest.js';
import { ProbeWorker } from '../../harness/pod/prober/worker.js';
import { ResultsStore, type ProbeResult } from '../../harness/pod/prober/results.js';

/** A worker over a node prober that answers from a script, on fake timers. */
function scripted(answers: NetAnswer['result'][], failureThreshold: number) {
  const asked: string[][] = [];
  const net = {
    podIP: '10.0.0.2',
    probe: (args: string[]) => {
      asked.push(args);
      const result = answers.shift() ?? 'success';
      return Promise.resolve({ result, status: null, output: result === 'error' ? 'no answer' : 'refused' });
    },
  } as unknown as PodNetwork;
  const changes: ProbeResult[] = [];
  const store = new ResultsStore((_, r) => changes.push(r));
  const events: string[] = [];
  const c: Container = { name: 'app', image: 'x' };
  const worker = new ProbeWorker(
    'livenessProbe',
    resolveProbe({ tcpSocket: { port: 80 }, periodSeconds: 1, failureThreshold }),
    c,
    { id: 'c1' } as RunningContainer,
    net,
    store,
    {
      emit: (_type, _reason, _c, message) => {
        events.push(message);
        return {} as never;
      },
      started: () => true,
      terminating: () => false,
      startedAtMs: Date.now(),
    },
  );
  return { worker, asked, changes, events, store };
}

describe('probe worker: a prober error is thrown away (worker.go)', () => {
  afterEach(() => vi.useRealTimers());

  it('does not count towards the failure threshold and does not reset it; says it errored', async () => {
    vi.useFakeTimers();
    // An attempt that errors is made again at once, 3 times in all (prober.go runProbeWithRetries).
    const w = scripted(['failure', 'error', 'error', 'error', 'failure'], 2);
    const stop = new AbortController();
    const done = w.worker.run(stop.signal);
    await vi.advanceTimersByTimeAsync(2_500);
    await done;
    expect(w.asked).toHaveLength(5);
    // The initial liveness result, then Failure, (error), Failure: the second failure
    // in a row reaches the threshold of 2.
    expect(w.changes).toEqual(['Success', 'Failure']);
    expect(w.events).toEqual([
      'Liveness probe failed: refused',
      'Liveness probe errored and resulted in unknown state: no answer',
      'Liveness probe failed: refused',
    ]);
  });

  it('errors alone never fail the container', async () => {
    vi.useFakeTimers();
    const w = scripted(Array<NetAnswer['result']>(12).fill('error'), 1);
    const stop = new AbortController();
    const done = w.worker.run(stop.signal);
    await vi.advanceTimersByTimeAsync(3_500);
    stop.abort();
    await done;
    // 4 probes, each tried 3 times.
    expect(w.asked).toHaveLength(12);
    expect(w.store.get('c1')).toBe('Success');
    expect(w.changes).toEqual(['Success']);
  });
});
