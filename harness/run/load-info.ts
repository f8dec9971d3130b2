/**
 * What a run's bound on containers in flight was, and how it was chosen: plain data and
 * its description, for the reports (which load nothing of the runner).
 */
/** What a run ran with, for the report header. */
export interface LoadInfo {
  /** Scenario containers in flight at once. */
  concurrency: number;
  source: 'option' | 'cores-and-engine-latency';
  cores?: number;
  /** The engine's measured start-to-exit-to-removal time of a trivial container, ms. */
  engineStartMs?: number;
  /** The fewest in flight at once the run came down to, when the engine slowed during it. */
  lowest?: number;
}

/** "4 at a time (2 cores, engine start 350 ms)" or "8 at a time (--concurrency)". */
export function describeLoad(load: LoadInfo): string {
  const down =
    load.lowest !== undefined && load.lowest < load.concurrency ? `, down to ${load.lowest} as the engine slowed` : '';
  return load.source === 'option'
    ? `${load.concurrency} at a time (--concurrency)`
    : `${load.concurrency} at a time (${load.cores} cores, engine start ${load.engineStartMs} ms${down})`;
}
