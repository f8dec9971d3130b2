import type { Session } from '../engine/session.js';

/** An image and how to start it: a catalogue variant x program, or any image to certify. */
export interface Subject {
  /** Display name: "exec-form/naive", or the image reference. */
  name: string;
  image: string;
  variant?: string;
  program?: string;
  env?: Record<string, string>;
  init?: boolean;
  /** A log line that says the program is ready (absent for arbitrary images). */
  readyLog?: RegExp;
  /** How long to wait for the container to start (and print readyLog). */
  startupTimeoutMs?: number;
  /** Time to let the program settle after start before acting (arbitrary images). */
  settleMs?: number;
}

/** What every check needs besides the subject. */
export interface CheckContext {
  session: Session;
  toolboxImage: string;
  /** Grace period for stops, seconds. */
  graceSeconds: number;
}
