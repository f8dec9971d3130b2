import type { Limiter } from '../run/load.js';
import type { QuietStop } from '../run/quiet-stop.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { Observation } from './observation.js';

/**
 * What another container of a subject settled on (the certify preflight): its
 * processes and signal masks (see settledShape) and how long after it was running.
 * A container showing them twice in a row, every process asleep, is ready without
 * waiting out the span; one that does not is judged by the span only once it has been
 * running at least as long. `undefined` while that container is still settling (no
 * span decides meanwhile), `null` when there is nothing to go by.
 */
export interface SettledLead {
  value: { shape: string; afterMs: number } | null | undefined;
}

/** An image and how to start it: a catalogue variant x program, or any image to certify. */
export interface Subject {
  /** Display name: "exec-form/naive", or the image reference. */
  name: string;
  image: string;
  variant?: string;
  program?: string;
  env?: Record<string, string>;
  /** Replace the image's ENTRYPOINT / CMD / USER (docker run's options); unset keeps the image's. */
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  /** The engine network the subject joins (an internal one, or 'loopback': see ContainerSpec); unset: none. */
  network?: string;
  /** A TCP port the subject listens on once ready. */
  readyPort?: number;
  init?: boolean;
  /** A log line that says the program is ready (absent for arbitrary images). */
  readyLog?: RegExp;
  /** How long to wait for the container to start (and print readyLog). */
  startupTimeoutMs?: number;
  /**
   * Without a ready line: the least time the container must be up before it counts as
   * ready, besides its signal masks having settled (a policy can ask for it).
   */
  minUpMs?: number;
  /**
   * Without a ready line: what another container of this subject settled on (the
   * certify preflight), as it becomes known (see SettledLead).
   */
  settled?: SettledLead;
  /**
   * The subject's containers in flight (a certification's): its timed stop waits until
   * the others are gone, so its own scenarios never slow the stop judged.
   */
  quietStop?: QuietStop;
  /** This subject's grace period for stops, seconds (the run's when unset). */
  graceSeconds?: number;
  /** What each check must show for it (a user's expected row), by check name. */
  expected?: Record<string, Record<string, unknown>>;
  /**
   * A running container handed over by its owner (a started testcontainers container):
   * the scenario acts on it instead of starting a fresh one, and never removes it (a
   * scenario that stops it leaves it stopped).
   */
  attachTo?: string;
}

/** What every check needs besides the subject. */
export interface CheckContext {
  /** The runtime its containers run on. */
  runtime: ContainerRuntime;
  toolboxImage: string;
  /** Grace period for stops, seconds. */
  graceSeconds: number;
  /** Bounds the scenario containers in flight (across the whole run, when shared). */
  limiter?: Limiter;
  /**
   * Called with each scenario's container id and observation before the container is
   * removed: a second observer (a suite's independent witness, a team's own probe) can
   * look at the same container the check judged. Its failure is its own affair: it
   * never changes the observation.
   */
  beforeRemove?: (containerId: string, observation: Observation<object>) => Promise<void>;
}
