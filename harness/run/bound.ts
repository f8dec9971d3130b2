/** The bound on scenario containers in flight, and what a limiter of it offers. */

/** Runs functions with at most `size` at once, in the order they asked. */
export interface Limiter {
  readonly size: number;
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** A container's create-to-start time, ms, as the engine measured it: the bound follows it. */
  observe?(createToStartMs: number): void;
}

/**
 * The bound on containers in flight as the run goes, from what the engine does during
 * it, not only from a measurement at its start: each container's create-to-start time
 * above `targetMs` (the latency past which a grace period would have to be lengthened,
 * see GRACE_PER_LATENCY) takes one slot away, each one well below it gives one back,
 * between `max` and half of it. On a machine that gets busy, fewer scenarios start, so
 * the ones running keep the latency their grace periods are judged by.
 */
export class AdaptiveBound {
  private value: number;
  /** The fewest the bound came down to. */
  lowest: number;
  readonly min: number;
  constructor(
    readonly max: number,
    readonly targetMs: number,
  ) {
    this.value = max;
    this.lowest = max;
    this.min = Math.min(max, Math.max(2, Math.ceil(max / 2)));
  }
  observe(createToStartMs: number): void {
    if (!(createToStartMs >= 0)) return;
    if (createToStartMs > this.targetMs) this.value = Math.max(this.min, this.value - 1);
    else if (createToStartMs < this.targetMs * 0.75) this.value = Math.min(this.max, this.value + 1);
    this.lowest = Math.min(this.lowest, this.value);
  }
  get current(): number {
    return this.value;
  }
}
