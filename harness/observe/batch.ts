/**
 * Snapshots of many containers through one exec of the node's observer: every request
 * that arrives while a read is under way joins the next one, which starts when the
 * current one ends. With several scenarios polling for readiness at once, the engine
 * runs one exec per round instead of one per container and poll (an exec costs the
 * engine and the runtime far more than reading a few /proc files).
 *
 * A reading is always taken after it was asked for: a request never joins a read that
 * has already started.
 */
import type { ExecResult } from '../engine/exec.js';
import { monotonicMs } from './clock.js';

/** One target's part of a `ps-snapshot --each` answer, as if it had been its own exec. */
export interface TargetReading {
  /** Monotonic time the read that took it started (after it was asked for). */
  atMs: number;
  result: ExecResult;
}

/** The blocks of `ps-snapshot --each`, in order: "target PID N", N lines, "exit CODE". */
export function parseEach(stdout: string): { pid: string; exitCode: number; stdout: string }[] {
  const lines = stdout.split('\n');
  const out: { pid: string; exitCode: number; stdout: string }[] = [];
  for (let i = 0; i < lines.length;) {
    const head = /^target (\d+) (\d+)$/.exec(lines[i] ?? '');
    if (!head) {
      i++;
      continue;
    }
    const n = Number(head[2]);
    const body = lines.slice(i + 1, i + 1 + n);
    const exit = /^exit (\d+)$/.exec(lines[i + 1 + n] ?? '');
    if (body.length === n && exit)
      out.push({ pid: head[1] as string, exitCode: Number(exit[1]), stdout: body.map((l) => `${l}\n`).join('') });
    i += n + 2;
  }
  return out;
}

interface Waiter {
  resolve: (r: TargetReading) => void;
  reject: (err: unknown) => void;
}

export class SnapshotBatcher {
  /** Requests for the next read, by target argument (`PID` or `PID=NS`). */
  private next = new Map<string, { pid: string; waiters: Waiter[] }>();
  private running = false;

  /** `read(args)` runs `ps-snapshot --each ...args` once. */
  constructor(private readonly read: (args: string[]) => Promise<ExecResult>) {}

  /** The snapshot of the PID namespace of node pid `pid` (that must be `ns`, once known). */
  snapshot(pid: number, ns?: string): Promise<TargetReading> {
    const arg = ns ? `${pid}=${ns}` : String(pid);
    return new Promise<TargetReading>((resolve, reject) => {
      const entry = this.next.get(arg) ?? { pid: String(pid), waiters: [] };
      entry.waiters.push({ resolve, reject });
      this.next.set(arg, entry);
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || !this.next.size) return;
    const batch = [...this.next.values()];
    const args = [...this.next.keys()];
    this.next = new Map();
    this.running = true;
    const atMs = monotonicMs();
    void this.read(args)
      .then(
        (r) => {
          const parts = parseEach(r.stdout);
          batch.forEach(({ pid, waiters }, i) => {
            const part = parts[i]?.pid === pid ? parts[i] : undefined;
            // A target the answer does not hold (the read failed or was cut) fails as the read did.
            const result: ExecResult = part
              ? { ...r, exitCode: part.exitCode, failed: part.exitCode !== 0, stdout: part.stdout }
              : { ...r, failed: true };
            for (const w of waiters) w.resolve({ atMs, result });
          });
        },
        (err: unknown) => {
          for (const { waiters } of batch) for (const w of waiters) w.reject(err);
        },
      )
      .finally(() => {
        this.running = false;
        this.pump();
      });
  }
}
