import { cpus } from 'node:os';

/** What a run ran with, for the report header. */
export interface LoadInfo {
  /** Scenario containers in flight at once. */
  concurrency: number;
  source: 'option' | 'cores-and-engine-latency';
  cores?: number;
  /** The engine's measured start-to-exit-to-removal time of a trivial container, ms. */
  engineStartMs?: number;
}

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

/** Runs functions with at most `size` at once, in the order they asked. */
export interface Limiter {
  readonly size: number;
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** An in-process limiter (the CLI's; the suites share one across processes, see slots.ts). */
export function localLimiter(size: number): Limiter {
  let active = 0;
  const queue: (() => void)[] = [];
  return {
    size,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (active >= size) await new Promise<void>((resolve) => queue.push(resolve));
      else active++;
      try {
        return await fn();
      } finally {
        const next = queue.shift();
        if (next) next();
        else active--;
      }
    },
  };
}

/** "4 at a time (2 cores, engine start 350 ms)" or "8 at a time (--concurrency)". */
export function describeLoad(load: LoadInfo): string {
  return load.source === 'option'
    ? `${load.concurrency} at a time (--concurrency)`
    : `${load.concurrency} at a time (${load.cores} cores, engine start ${load.engineStartMs} ms)`;
}
