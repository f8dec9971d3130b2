/**
 * CrashLoopBackOff (k8s.io/client-go/util/flowcontrol Backoff, as the kubelet uses it):
 * per container, 10 s doubling to 300 s; an entry not updated for twice the maximum
 * (the container ran that long) starts again at 10 s. `scale` multiplies every figure.
 */
export class Backoff {
  private readonly entries = new Map<string, { backoffMs: number; lastUpdateMs: number }>();

  constructor(
    private readonly scale: number,
    private readonly now: () => number,
  ) {}

  private get initialMs() {
    return 10_000 * this.scale;
  }

  private get maxMs() {
    return 300_000 * this.scale;
  }

  private expired(eventMs: number, lastUpdateMs: number): boolean {
    return eventMs - lastUpdateMs > this.maxMs * 2;
  }

  /** The current delay for `key` (what the waiting message quotes). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Whether `key` is still backing off from an exit at `eventMs`. */
  isInBackOffSince(key: string, eventMs: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventMs, e.lastUpdateMs)) return false;
    return this.now() - eventMs < e.backoffMs;
  }

  /** Record a restart after an exit at `eventMs`: the next delay doubles (or starts over). */
  next(key: string, eventMs: number): void {
    const e = this.entries.get(key);
    if (!e || this.expired(eventMs, e.lastUpdateMs))
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdateMs: this.now() });
    else this.entries.set(key, { backoffMs: Math.min(e.backoffMs * 2, this.maxMs), lastUpdateMs: this.now() });
  }
}
