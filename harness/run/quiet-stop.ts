import { monotonicMs } from '../observe/clock.js';

/**
 * The containers of one certification still in flight (booting, acted on, stopping,
 * being removed). Its timed stop waits until it is the only one left: with the image's
 * other scenarios starting, stopping and being removed beside it on a small machine, a
 * service that stops in 0.6 s alone was seen to take 1.4 to 1.9 s, so a 2 s limit was
 * judging the gate's own load. Alone, the stop judged is the one the image makes. Each
 * container holds a token from before its start until it is removed; the stop waits
 * while its container is ready anyway, so the certification takes no longer.
 */
export class QuietStop {
  private readonly inFlight = new Set<symbol>();
  private waiters: (() => void)[] = [];

  /** A container of the certification is about to start. */
  enter(): symbol {
    const token = Symbol('in flight');
    this.inFlight.add(token);
    return token;
  }

  /** It is gone (safe to call more than once). */
  leave(token: symbol | undefined): void {
    if (!token || !this.inFlight.delete(token)) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** How many containers other than `own` are in flight. */
  others(own: symbol | undefined): number {
    return this.inFlight.size - (own && this.inFlight.has(own) ? 1 : 0);
  }

  /**
   * Wait until no container other than `own` is in flight; the deadline only stops a
   * hang (every other scenario has its own). How long it waited, ms, and whether it was
   * alone then.
   */
  async alone(own: symbol | undefined, deadlineMs: number): Promise<{ waitedMs: number; alone: boolean }> {
    const t0 = monotonicMs();
    while (this.others(own) > 0) {
      const left = deadlineMs - (monotonicMs() - t0);
      if (left <= 0) return { waitedMs: monotonicMs() - t0, alone: false };
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return { waitedMs: monotonicMs() - t0, alone: true };
  }
}
