/**
 * Run `tasks` with at most `concurrency` at a time; results keep the tasks' order.
 * `onDone` is called as each finishes (for progress).
 */
export async function runPool<T>(
  tasks: readonly (() => Promise<T>)[],
  concurrency: number,
  onDone?: (result: T, done: number, total: number) => void,
  /** Once true, no further task starts (those running finish); the unstarted stay holes. */
  stopped: () => boolean = () => false,
): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length && !stopped()) {
      const i = next++;
      const task = tasks[i];
      if (!task) continue;
      results[i] = await task();
      done++;
      onDone?.(results[i] as T, done, tasks.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker));
  return results;
}

/**
 * runPool with the slow tasks (those that wait out a grace period) started first, so
 * the pool does not end on a long tail; results still keep the tasks' order.
 */
export async function runSlowFirst<T>(
  tasks: readonly { slow: boolean; run: () => Promise<T> }[],
  concurrency: number,
  onDone?: (result: T, done: number, total: number) => void,
  stopped?: () => boolean,
): Promise<T[]> {
  const order = tasks.map((t, i) => ({ t, i })).sort((a, b) => Number(b.t.slow) - Number(a.t.slow));
  const results = await runPool(
    order.map(({ t }) => t.run),
    concurrency,
    onDone,
    stopped,
  );
  const inOrder = new Array<T>(tasks.length);
  order.forEach(({ i }, k) => {
    inOrder[i] = results[k] as T;
  });
  return inOrder;
}

/**
 * A task started now and awaited later (work that runs alongside other work): its
 * failure is held until it is awaited, never an unhandled rejection that ends the
 * process while the other work is still running.
 */
export function inBackground<T>(task: Promise<T>): () => Promise<T> {
  const settled = task.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return async () => {
    const r = await settled;
    if (!r.ok) throw r.error;
    return r.value;
  };
}
