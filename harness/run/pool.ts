/**
 * Run `tasks` with at most `concurrency` at a time; results keep the tasks' order.
 * `onDone` is called as each finishes (for progress).
 */
export async function runPool<T>(
  tasks: readonly (() => Promise<T>)[],
  concurrency: number,
  onDone?: (result: T, done: number, total: number) => void,
): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length) {
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
