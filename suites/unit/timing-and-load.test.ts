import { describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../harness/engine/events.js';
import { parsePsSnapshot, signalReadinessKey } from '../../harness/observe/ps.js';
import { atRest, describeDisposition, disposition, parseMaskLine, pending } from '../../harness/observe/signals.js';
import { engineStopTiming, judgedGraceSeconds, lengthenedGrace, stopBands } from '../../harness/observe/stop-timing.js';
import {
  AdaptiveBound,
  defaultConcurrency,
  describeLoad,
  localLimiter,
  runLimiter,
  targetLatencyMs,
} from '../../harness/run/load.js';
import { joinShared, sharedSlots, slotLimiter, startSlotServer } from '../../harness/run/slots.js';
import { Turns } from '../../harness/engine/session.js';
import { QuietStop } from '../../harness/run/quiet-stop.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const masks = (o: Partial<Record<'SigBlk' | 'SigIgn' | 'SigCgt' | 'Wchan', string>>) => ({
  SigPnd: '0000000000000000',
  ShdPnd: '0000000000004000',
  SigBlk: '0000000000000000',
  SigIgn: '0000000000000000',
  SigCgt: '0000000000000000',
  ...o,
});

describe('signal masks', () => {
  it('reads a disposition from /proc status masks (bit N-1 for signal N)', () => {
    // Measured: sh (shell-form) catches INT and CHLD only; the aware program TERM too.
    expect(disposition(masks({ SigCgt: '0000000000010002' }), 'SIGTERM')).toBe('default');
    expect(disposition(masks({ SigCgt: '0000000000010002' }), 'SIGINT')).toBe('caught');
    expect(disposition(masks({ SigCgt: '0000000000014002' }), 'SIGTERM')).toBe('caught');
    expect(disposition(masks({ SigBlk: 'fffffffe3ffbfa07' }), 'SIGTERM')).toBe('blocked');
    expect(disposition(masks({ SigIgn: '0000000000004000' }), 15)).toBe('ignored');
    // tini in sigtimedwait: the waited-for signals are out of SigBlk while it waits.
    expect(disposition(masks({ SigIgn: '0000000000300000', Wchan: 'do_sigtimedwait.isra.0' }), 'SIGTERM')).toBe(
      'blocked',
    );
    expect(pending(masks({}), 'SIGTERM')).toBe(true);
    // tini woken from sigtimedwait, not yet scheduled: its lent-out mask is not its disposition.
    expect(atRest({ ...masks({ Wchan: '0' }), State: 'R' })).toBe(false);
    expect(atRest({ ...masks({ Wchan: '?' }), State: 'S' })).toBe(false);
    expect(atRest({ ...masks({ Wchan: 'do_sigtimedwait.isra.0' }), State: 'S' })).toBe(true);
    expect(parseMaskLine('1 State=S SigPnd=0 ShdPnd=0 SigBlk=0 SigIgn=0 SigCgt=4000 Wchan=0')?.masks).toMatchObject({
      State: 'S',
      SigCgt: '4000',
    });
    expect(describeDisposition('default', 'SIGTERM', true)).toBe('SIGTERM default (dropped by the kernel)');
  });

  it('parses the mask section of a snapshot and keys readiness on processes and handlers', () => {
    const text = [
      'self 20',
      '    1     0 Ss   tini',
      '    7     1 S    python3',
      '--',
      '    1 tini -- python3 /app/app.py',
      '    7 python3 /app/app.py',
      '==',
      '1 SigPnd=0000000000000000 ShdPnd=0000000000000000 SigBlk=0000000000000000 SigIgn=0000000000300000 SigCgt=0000000000000000 Wchan=do_sigtimedwait.isra.0',
      '7 SigPnd=0000000000000000 ShdPnd=0000000000000000 SigBlk=0000000000000000 SigIgn=0000000001001000 SigCgt=0000000008004002 Wchan=0',
      '20 SigPnd=0000000000000000 ShdPnd=0000000000000000 SigBlk=0000000000000000 SigIgn=0000000000000000 SigCgt=0000000000010002 Wchan=0',
    ].join('\n');
    const rows = parsePsSnapshot(text);
    expect(rows.map((r) => r.pid)).toEqual([1, 7]);
    expect(rows[0]?.masks?.Wchan).toBe('do_sigtimedwait.isra.0');
    expect(rows[1]?.args).toBe('python3 /app/app.py');
    const key = signalReadinessKey({ atMs: 0, processes: rows });
    expect(key).toBe(
      '1:tini:0000000000000000/0000000000300000/0000000000000000 7:python3:0000000000000000/0000000001001000/0000000008004002',
    );
    expect(parseMaskLine('7 SigPnd=zz')).toBeNull();
    // The observer sidecar's processes (named in the mask section) are left out too.
    const withObserver = text.replace('--', '    9     0 S    sleep\n   30     9 S    sh\n--');
    expect(parsePsSnapshot(withObserver).map((r) => r.pid)).toEqual([1, 7, 9, 30]);
    expect(parsePsSnapshot(`${withObserver}\nobserver 9`).map((r) => r.pid)).toEqual([1, 7]);
  });
});

describe('stop timing on the engine clock', () => {
  const ev = (action: string, ms: number, signal?: string): EngineEvent => ({
    action,
    timeNano: ms * 1e6,
    attributes: signal ? { signal } : {},
  });

  it('measures from the stop signal to die, and SIGKILL after the grace period', () => {
    const t = engineStopTiming([
      ev('create', 1000),
      ev('start', 1300),
      ev('kill', 5000, '15'),
      ev('kill', 7001, '9'),
      ev('die', 7100),
      ev('stop', 7150),
    ]);
    expect(t).toEqual({ stopDurationMs: 2100, killAfterMs: 2001, engineLatencyMs: 300 });
    expect(engineStopTiming([ev('kill', 5000, '15'), ev('die', 5040)])).toEqual({
      stopDurationMs: 40,
      killAfterMs: null,
      engineLatencyMs: null,
    });
  });

  it('derives the bands from the grace period and the latency, widening with it', () => {
    expect(stopBands(2, 100)).toEqual({ gracefulMaxMs: 1200, killedMinMs: 2000, killedMaxMs: 3200 });
    const slow = stopBands(2, 1500);
    expect(slow.gracefulMaxMs).toBeGreaterThan(stopBands(2, 100).gracefulMaxMs);
    expect(slow.killedMaxMs - slow.killedMinMs).toBe(1000 + 3000);
  });

  it('keeps the grace period asked for on a quiet engine and lengthens it on a busy one, saying why', () => {
    expect(judgedGraceSeconds(2, 300)).toBe(2);
    expect(judgedGraceSeconds(2, null)).toBe(2);
    expect(judgedGraceSeconds(2, 2260)).toBe(7);
    expect(judgedGraceSeconds(30, 2260)).toBe(30);
    expect(lengthenedGrace(2, 2, 300)).toBe('');
    expect(lengthenedGrace(2, 7, 2260)).toMatch(/lengthened from 2 s: the engine took 2260 ms to start this container/);
  });
});

describe('load', () => {
  it('runs four scenarios per core on a brisk engine, fewer on a slow one, never under 2', () => {
    expect(defaultConcurrency(2, 300).concurrency).toBe(8);
    expect(defaultConcurrency(2, 1200).concurrency).toBe(4);
    expect(defaultConcurrency(16, 2400).concurrency).toBe(16);
    expect(defaultConcurrency(1, 5000).concurrency).toBe(2);
    expect(describeLoad(defaultConcurrency(2, 300))).toBe('8 at a time (2 cores, engine start 300 ms)');
    expect(describeLoad({ concurrency: 8, source: 'option' })).toBe('8 at a time (--concurrency)');
  });

  const track = async (limiter: { run<T>(fn: () => Promise<T>): Promise<T> }, n: number) => {
    let active = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const runs = Array.from({ length: n }, (_, i) =>
      limiter.run(async () => {
        active++;
        peak = Math.max(peak, active);
        // Each task ends when the next one is let in, or at the end.
        await new Promise<void>((resolve) => gates.push(resolve));
        active--;
        return i;
      }),
    );
    // Release tasks one by one as they are admitted.
    while (gates.length || active) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    return { results: await Promise.all(runs), peak };
  };

  it('a local limiter never has more than its size in flight', async () => {
    const { results, peak } = await track(localLimiter(3), 10);
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
  });

  it('a slot server bounds clients across connections, and a closed client gives its slot back', async () => {
    const server = await startSlotServer(join(tmpdir(), `harness-slots-test-${process.pid}.sock`), 2);
    try {
      const a = slotLimiter(server.path, 2, 'a file');
      const b = slotLimiter(server.path, 2);
      let active = 0;
      let peak = 0;
      const task = (ms: number) => async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, ms));
        active--;
      };
      // a holds its slots far longer than b (usage lists the most held first).
      await Promise.all([a.run(task(60)), b.run(task(1)), a.run(task(30)), b.run(task(1)), a.run(task(30))]);
      expect(peak).toBe(2);
      await expect(a.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(server.stats().granted).toBe(6);
      await a.run(async () => undefined);
      expect(server.stats()).toEqual({ granted: 7, peak: 2, bound: 2, waiting: 0 });
      // Usage per client label (an unlabelled client is "-"), counted once each slot is given back.
      // (the server hears a connection close a moment after the client closed it).
      await vi.waitFor(() => expect(server.usage().reduce((n, u) => n + u.slots, 0)).toBe(7));
      expect(server.usage().map((u) => [u.label, u.slots])).toEqual([
        ['a_file', 5],
        ['-', 2],
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('a harness process started by another run joins its bound', () => {
  it('HARNESS_SLOTS names the slot server; without it, or malformed, a run keeps only its own bound', () => {
    expect(sharedSlots('x', {})).toBeUndefined();
    expect(sharedSlots('x', { HARNESS_SLOTS: '/tmp/s.sock' })).toBeUndefined();
    expect(sharedSlots('x', { HARNESS_SLOTS: '4:/tmp/s.sock' })?.size).toBe(4);
    const local = localLimiter(3);
    expect(joinShared(local, undefined)).toBe(local);
  });

  it("a run's own bound of 3 and a shared bound of 2 with another run on it: at most 2 in flight across both", async () => {
    const server = await startSlotServer(join(tmpdir(), `harness-shared-test-${process.pid}.sock`), 2);
    try {
      const env = { HARNESS_SLOTS: `${server.size}:${server.path}` };
      const mine = joinShared(localLimiter(3), sharedSlots('mine', env));
      const other = slotLimiter(server.path, 2, 'other');
      let active = 0;
      let peak = 0;
      // Each task holds its slot until the test lets it go.
      const gates: (() => void)[] = [];
      const task = (i: number) => async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((resolve) => gates.push(resolve));
        active--;
        return i;
      };
      const runs = [0, 1, 2, 3].map((i) => mine.run(task(i)));
      runs.push(other.run(task(4)), other.run(task(5)));
      const all = Promise.all(runs);
      // Once requests queue at the server, the two holding slots are all that run: three
      // of its own were allowed, the shared bound holds them to two with the other run's.
      await vi.waitFor(() => expect(server.stats().waiting).toBeGreaterThan(0));
      expect(active).toBe(2);
      for (let released = 0; released < 6; released++) {
        await vi.waitFor(() => expect(gates.length).toBeGreaterThan(0));
        gates.shift()?.();
      }
      expect(await all).toEqual([0, 1, 2, 3, 4, 5]);
      expect(peak).toBe(2);
      expect(server.stats()).toMatchObject({ granted: 6, peak: 2 });
    } finally {
      await server.close();
    }
  });
});

describe('a run started by another run goes ahead of its queue', () => {
  it('a request ahead is granted before those already waiting, in the order such requests came', async () => {
    const server = await startSlotServer(join(tmpdir(), `harness-ahead-test-${process.pid}.sock`), 1);
    try {
      const order: string[] = [];
      let release: () => void = () => undefined;
      const holding = slotLimiter(server.path, 1, 'first').run(
        () => new Promise<void>((resolve) => (release = resolve)),
      );
      await vi.waitFor(() => expect(server.stats().granted).toBe(1));
      const queued = (label: string, ahead: boolean) =>
        slotLimiter(server.path, 1, label, ahead).run(async () => void order.push(label));
      // Each request is in the server's queue before the next one asks.
      const waiting: Promise<void>[] = [];
      for (const [label, ahead] of [
        ['suite-a', false],
        ['suite-b', false],
        ['child-1', true],
        ['child-2', true],
      ] as const) {
        waiting.push(queued(label, ahead));
        await vi.waitFor(() => expect(server.stats().waiting).toBe(waiting.length));
      }
      release();
      await holding;
      await Promise.all(waiting);
      expect(order).toEqual(['child-1', 'child-2', 'suite-a', 'suite-b']);
    } finally {
      await server.close();
    }
  });
});

describe('container starts take turns', () => {
  it('at most the size under way, the rest in the order they asked, a failed one gives its turn back', async () => {
    const turns = new Turns(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const gates = new Map<number, () => void>();
    const start = (n: number) =>
      turns.take(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(n);
        await new Promise<void>((resolve) => gates.set(n, resolve));
        active--;
        if (n === 1) throw new Error('did not start');
        return n;
      });
    const all = Promise.allSettled([1, 2, 3, 4, 5].map(start));
    // Release each start once it is under way, in the order they began.
    for (let i = 0; i < 5; i++) {
      await vi.waitFor(() => expect(order.length).toBeGreaterThan(i));
      gates.get(order[i] as number)?.();
    }
    const settled = await all;
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(await turns.take(async () => 'free again')).toBe('free again');
  });
});

describe("a certification's timed stop waits until it is alone", () => {
  it('resolves once every other container in flight is gone, its own not counted', async () => {
    const q = new QuietStop();
    const own = q.enter();
    const a = q.enter();
    const b = q.enter();
    let result: { waitedMs: number; alone: boolean } | undefined;
    const waiting = q.alone(own, 60_000).then((r) => (result = r));
    q.leave(a);
    await Promise.resolve();
    expect(result).toBeUndefined();
    expect(q.others(own)).toBe(1);
    q.leave(b);
    q.leave(b); // twice is harmless
    await waiting;
    expect(result?.alone).toBe(true);
    expect(q.others(own)).toBe(0);
  });

  it('at the deadline it says it was not alone, never hangs', async () => {
    const q = new QuietStop();
    q.enter();
    const r = await q.alone(undefined, 20);
    expect(r.alone).toBe(false);
    expect(r.waitedMs).toBeGreaterThanOrEqual(19);
  });
});

describe('the bound follows the engine during the run', () => {
  it('each create-to-start above the target takes a slot away (down to half), each well below gives one back', () => {
    const b = new AdaptiveBound(8, targetLatencyMs(2));
    expect(b.targetMs).toBeCloseTo(666.67, 1);
    for (const ms of [900, 1200, 700]) b.observe(ms);
    expect(b.current).toBe(5);
    for (const ms of [2000, 3000, 4000]) b.observe(ms);
    expect(b.current).toBe(4);
    b.observe(600); // below the target, not well below: kept
    expect(b.current).toBe(4);
    b.observe(300);
    expect(b.current).toBe(5);
    expect(b.lowest).toBe(4);
  });

  it('a local limiter with a bound starts no more than the bound allows, and more once it rises', async () => {
    const b = new AdaptiveBound(4, 100);
    const limiter = localLimiter(4, b);
    limiter.observe?.(500);
    limiter.observe?.(500);
    expect(b.current).toBe(2);
    let active = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const runs = Array.from({ length: 6 }, () =>
      limiter.run(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((r) => gates.push(r));
        active--;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(active).toBe(2);
    limiter.observe?.(10);
    limiter.observe?.(10);
    await new Promise((r) => setImmediate(r));
    expect(active).toBe(4);
    while (gates.length) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(runs);
    expect(peak).toBe(4);
  });

  it('runLimiter keeps a bound the user gave as given', () => {
    const given = runLimiter({ concurrency: 3, source: 'option' }, 2);
    given.limiter.observe?.(99_999);
    expect(given.settle()).toEqual({ concurrency: 3, source: 'option' });
    const derived = runLimiter({ concurrency: 8, source: 'cores-and-engine-latency', cores: 2 }, 2);
    derived.limiter.observe?.(5000);
    expect(derived.settle().lowest).toBe(7);
    expect(describeLoad({ ...derived.settle(), engineStartMs: 400 })).toBe(
      '8 at a time (2 cores, engine start 400 ms, down to 7 as the engine slowed)',
    );
  });
});
