import { constants } from 'node:os';

/**
 * Signal names and numbers as this platform's kernel has them (`os.constants.signals`),
 * in one place: an image's STOPSIGNAL may be a name ("SIGTERM", "TERM") or a number
 * ("15"), and exit codes above 128 carry a number.
 */
const BY_NAME = constants.signals as Record<string, number>;
const BY_NUMBER = new Map<number, string>();
// The first name listed wins for numbers with aliases (SIGABRT before SIGIOT, SIGIO before SIGPOLL).
for (const [name, n] of Object.entries(BY_NAME)) if (!BY_NUMBER.has(n)) BY_NUMBER.set(n, name);

/** The number of a signal given as "SIGTERM", "TERM", "sigterm" or "15"; undefined when unknown. */
export function signalNumber(signal: string | number): number | undefined {
  if (typeof signal === 'number') return BY_NUMBER.has(signal) ? signal : undefined;
  const s = signal.trim();
  if (/^\d+$/.test(s)) return BY_NUMBER.has(Number(s)) ? Number(s) : undefined;
  const upper = s.toUpperCase();
  return BY_NAME[upper.startsWith('SIG') ? upper : `SIG${upper}`];
}

/** The canonical name ("SIGTERM") of a signal given in any of signalNumber's forms. */
export function signalName(signal: string | number): string | undefined {
  const n = signalNumber(signal);
  return n === undefined ? undefined : BY_NUMBER.get(n);
}

/** The signal an exit code above 128 reports (the shell's 128+N convention), if any. */
export function signalOfExitCode(code: number | null | undefined): string | undefined {
  return typeof code === 'number' && code > 128 ? signalName(code - 128) : undefined;
}
