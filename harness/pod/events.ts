import { monotonicMs } from '../observe/clock.js';

export interface PodEvent {
  /** Milliseconds since the start of the run, monotonic. */
  atMs: number;
  type: 'Normal' | 'Warning';
  /** The kubelet's reason (Created, Started, Unhealthy, Killing, BackOff, ...) or the emulator's own. */
  reason: string;
  container: string | null;
  message: string;
  /** `kubelet`: a reason and message the kubelet records (kubectl describe shows them); `harness`: the emulator's own detail. */
  source: 'kubelet' | 'harness';
  /** What the kubelet logs but keeps out of the event (a failed hook's output). */
  detail?: string;
}

/**
 * The reasons the kubelet records (pkg/kubelet/events/event.go); every other reason in
 * the timeline is the emulator's own, marked `source: harness`.
 */
const KUBELET_REASONS = new Set([
  'Pulled',
  'Created',
  'Started',
  'Killing',
  'BackOff',
  'Unhealthy',
  'ProbeWarning',
  'FailedPostStartHook',
  'FailedPreStopHook',
  'Pulling',
  'Failed',
  'ErrImageNeverPull',
  'LifecycleHTTPFallback',
]);

/** The kubelet's message formats, as `kubectl describe pod` shows them. */
export const MESSAGES = {
  pulled: (image: string) => `Container image "${image}" already present on machine`,
  created: (c: string) => `Created container: ${c}`,
  started: (c: string) => `Started container ${c}`,
  stopping: (c: string) => `Stopping container ${c}`,
  probeKill: (c: string, probe: 'liveness' | 'startup', restart: boolean) =>
    `Container ${c} failed ${probe} probe${restart ? ', will be restarted' : ''}`,
  postStartKill: 'FailedPostStartHook',
  backOff: (c: string, pod: string) => `Back-off restarting failed container ${c} in pod ${pod}`,
  backOffWaiting: (delay: string, c: string, pod: string) =>
    `back-off ${delay} restarting failed container=${c} pod=${pod}`,
  unhealthy: (probe: string, output: string) => `${probe} probe failed: ${output}`,
  probeErrored: (probe: string, output: string) => `${probe} probe errored and resulted in unknown state: ${output}`,
  probeWarning: (probe: string, output: string) => `${probe} probe warning: ${output}`,
  postStartFailed: 'PostStartHook failed',
  preStopFailed: 'PreStopHook failed',
} as const;

/** A duration as Go's time.Duration prints it (10s, 1m20s, 5m0s, 500ms). */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round((s - m * 60) * 10) / 10;
  return m >= 60 ? `${Math.floor(m / 60)}h${m % 60}m${rest}s` : `${m}m${rest}s`;
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

  emit(type: PodEvent['type'], reason: string, container: string | null, message: string, detail?: string): PodEvent {
    const e: PodEvent = {
      atMs: this.now(),
      type,
      reason,
      container,
      message,
      source: KUBELET_REASONS.has(reason) ? 'kubelet' : 'harness',
      ...(detail ? { detail } : {}),
    };
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

/**
 * A sleep of at least `ms` on the monotonic clock the pod's events use, as Go's
 * time.Sleep behind the kubelet's sleep hook is. Node's timers run on the event loop's
 * clock, whole milliseconds, so a timer alone can end up to 1 ms short. Ends early
 * (false) only when `signal` aborts.
 */
export async function sleepAtLeast(ms: number, signal?: AbortSignal): Promise<boolean> {
  const end = monotonicMs() + ms;
  for (let left = ms; left > 0; left = end - monotonicMs()) if (!(await sleep(Math.ceil(left), signal))) return false;
  return true;
}
