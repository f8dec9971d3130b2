import { monotonicMs } from '../observe/clock.js';

export interface PodEvent {
  /** Milliseconds since the start of the run, monotonic. */
  atMs: number;
  type: 'Normal' | 'Warning';
  /** The kubelet's reason (Created, Started, Unhealthy, Killing, BackOff, ...) or the emulator's own. */
  reason: string;
  container: string | null;
  message: string;
}

/** The run's timeline: every event, with live progress on stderr. */
export class Timeline {
  readonly events: PodEvent[] = [];
  private readonly t0 = monotonicMs();

  constructor(
    private readonly progress?: (line: string) => void,
    /** Called after every event (the run's stop condition is checked there). */
    private readonly onEvent?: (e: PodEvent) => void,
  ) {}

  now(): number {
    return Math.round((monotonicMs() - this.t0) * 10) / 10;
  }

  emit(type: PodEvent['type'], reason: string, container: string | null, message: string): PodEvent {
    const e = { atMs: this.now(), type, reason, container, message };
    this.events.push(e);
    this.progress?.(
      `[${(e.atMs / 1000).toFixed(1).padStart(6)}s] ${type.padEnd(7)} ${reason.padEnd(20)} ${container ?? '-'}: ${message}`,
    );
    this.onEvent?.(e);
    return e;
  }
}

/** A sleep that ends early when `signal` aborts; resolves true when it ran its course. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
