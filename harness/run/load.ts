import { GRACE_PER_LATENCY } from '../observe/stop-timing.js';
import { cpus } from 'node:os';
import { joinShared, sharedSlots } from './slots.js';
import type { LoadInfo } from './load-info.js';
import { AdaptiveBound, type Limiter } from './bound.js';

export { AdaptiveBound, type Limiter } from './bound.js';
export { describeLoad, type LoadInfo } from './load-info.js';

/**
 * Below this start latency the engine keeps up with four scenarios per core (most of a
 * scenario's time is spent waiting on the program, not on the engine); above it, fewer,
 * in proportion: a slow or busy machine gets fewer containers at once rather than
 * scenarios that starve each other.
 */
const BRISK_ENGINE_MS = 600;
const PER_CORE = 4;

/** The default bound on scenario containers in flight, from the cores and the engine's latency. */
export function defaultConcurrency(cores = cpus().length, engineStartMs = 0): LoadInfo {
  const perCore = engineStartMs > BRISK_ENGINE_MS ? (PER_CORE * BRISK_ENGINE_MS) / engineStartMs : PER_CORE;
  const concurrency = Math.max(2, Math.min(cores * PER_CORE, Math.round(cores * perCore)));
  return { concurrency, source: 'cores-and-engine-latency', cores, engineStartMs: Math.round(engineStartMs) };
}

/** The latency past which a grace period of `graceSeconds` would be lengthened. */
export const targetLatencyMs = (graceSeconds: number): number => (graceSeconds * 1000) / GRACE_PER_LATENCY;

/**
 * An in-process limiter (the CLI's; the suites share one across processes, see
 * slots.ts). With `bound`, at most its current value run at once.
 */
export function localLimiter(size: number, bound?: AdaptiveBound): Limiter {
  let active = 0;
  const queue: (() => void)[] = [];
  const limit = () => Math.min(size, bound?.current ?? size);
  const release = () => {
    while (active < limit() && queue.length) {
      active++;
      queue.shift()?.();
    }
  };
  return {
    size,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (active >= limit() || queue.length) {
        await new Promise<void>((resolve) => {
          queue.push(resolve);
          release();
        });
      } else active++;
      try {
        return await fn();
      } finally {
        active--;
        release();
      }
    },
    observe: (ms) => {
      bound?.observe(ms);
      release();
    },
  };
}

/**
 * A limiter still being decided (the engine's latency under measurement): each run
 * waits for it, then takes its turn there.
 */
export function deferredLimiter(deciding: Promise<Limiter>): Limiter {
  let decided: Limiter | undefined;
  void deciding.then(
    (l) => (decided = l),
    () => undefined,
  );
  return {
    get size() {
      return decided?.size ?? 0;
    },
    run: async (fn) => (decided ?? (await deciding)).run(fn),
    observe: (ms) => decided?.observe?.(ms),
  };
}

/**
 * The limiter of one run: a bound the user gave is kept as given; one derived from the
 * machine follows the engine's latency during the run (see AdaptiveBound). `settle`
 * writes the lowest it came down to into the load info.
 */
export function runLimiter(load: LoadInfo, graceSeconds: number): { limiter: Limiter; settle: () => LoadInfo } {
  const bound =
    load.source === 'option' ? undefined : new AdaptiveBound(load.concurrency, targetLatencyMs(graceSeconds));
  return {
    // Started by another run (HARNESS_SLOTS): its bound on the machine holds too.
    limiter: joinShared(localLimiter(load.concurrency, bound), sharedSlots(`harness-${process.pid}`)),
    settle: () => (bound && bound.lowest < load.concurrency ? { ...load, lowest: bound.lowest } : load),
  };
}
