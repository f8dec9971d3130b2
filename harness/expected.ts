/**
 * The expected row of every catalogue subject: what really happens, per the kernel and
 * each init's documented behaviour (see the conformance reference), confirmed on Docker
 * 20.10 / cgroup v1 with the bookworm base. The suites assert these; `harness matrix`
 * puts them next to each observation. Only fields that are deterministic are listed
 * (timings are asserted as bands by the suites, not stored here).
 */
import { FORWARDED_SIGNALS } from './checks/forwarded-signals.js';

type Row = Record<string, unknown>;

const INITS = ['tini', 'tini-group', 'dumb-init', 'dumb-init-single-child', 'catatonit', 'docker-init'];
/** The program replaces its launcher: it is PID 1 itself. */
const PROGRAM_IS_PID1 = ['exec-form', 'bash-exec'];
/** A shell is PID 1, runs the program as a child, and neither traps nor forwards. */
const SHELL_PID1 = ['shell-form', 'bash-entrypoint'];

const PID1: Record<string, string> = {
  'shell-form': 'sh',
  'exec-form': 'python3',
  // The kernel names a #! script's process after the script, not the interpreter.
  'bash-entrypoint': 'entrypoint.sh',
  'bash-exec': 'python3',
  'bash-trap': 'entrypoint.sh',
  tini: 'tini',
  'tini-group': 'tini',
  'dumb-init': 'dumb-init',
  'dumb-init-single-child': 'dumb-init',
  catatonit: 'catatonit',
  'docker-init': 'docker-init',
};

/**
 * What PID 1 does with SIGTERM, read from its signal masks: the shells leave it at the
 * default (the kernel drops it for PID 1); bash with a trap catches it; Python catches
 * it only when the program installs a handler (aware); dumb-init catches every signal;
 * tini (and the engine's docker-init, which is tini) waits for it in sigtimedwait and
 * catatonit blocks it for its signalfd: both "blocked".
 */
function pid1Sigterm(variant: string, program: string): string {
  if (SHELL_PID1.includes(variant)) return 'default';
  if (PROGRAM_IS_PID1.includes(variant)) return program === 'aware' ? 'caught' : 'default';
  if (variant === 'bash-trap' || variant.startsWith('dumb-init')) return 'caught';
  return 'blocked';
}

function signalReceived(variant: string, program: string, signal: string): boolean {
  if (SHELL_PID1.includes(variant)) return false;
  if (INITS.includes(variant)) return true;
  if (variant === 'bash-trap') {
    // Only the trapped TERM and INT are forwarded. The naive program does not get INT:
    // bash starts background jobs with SIGINT ignored, and Python keeps an inherited
    // SIG_IGN instead of installing its KeyboardInterrupt handler.
    return signal === 'SIGTERM' || (signal === 'SIGINT' && program === 'aware');
  }
  // The program is PID 1: the kernel delivers only signals it has a handler for. The
  // naive program has two: Python's own SIGINT handler (KeyboardInterrupt, so it
  // dies with 130) and the SIGWINCH logger.
  return program === 'aware' || signal === 'SIGINT' || signal === 'SIGWINCH';
}

/** Whether the stop signal (SIGTERM) stops the program before the grace period. */
function stopsOnTerm(variant: string, program: string): boolean {
  if (SHELL_PID1.includes(variant)) return false;
  if (PROGRAM_IS_PID1.includes(variant)) return program === 'aware';
  return true;
}

function row(check: string, variant: string, program: string, scenario: string | null): Row | undefined {
  const init = INITS.includes(variant);
  switch (check) {
    case 'pid1':
      return { pid1: PID1[variant], sigterm: pid1Sigterm(variant, program) };
    case 'signal-forwarding':
      return { received: signalReceived(variant, program, scenario ?? '') };
    case 'graceful-stop': {
      if (!stopsOnTerm(variant, program)) return { exitCode: 137, killed: true };
      return { exitCode: program === 'aware' ? 0 : 143, killed: false };
    }
    case 'zombie-reaping':
      // bash and dash reap adopted orphans while they wait for their child; a Python
      // program as PID 1 never waits for children it did not start.
      return { zombies: PROGRAM_IS_PID1.includes(variant) ? 1 : 0 };
    case 'exit-code':
      // The entrypoint script carries on after the program and exits with its own 0.
      if (variant === 'bash-entrypoint') return { exitCode: 0 };
      if (scenario === 'exit-3') return { exitCode: 3 };
      // PID 1 ignores even its own SIGTERM when the disposition is the default.
      return PROGRAM_IS_PID1.includes(variant) ? { exitCode: null, survived: true } : { exitCode: 143 };
    case 'orphans-on-stop':
      // Only inits that signal the whole process group reach the orphaned
      // grandchildren; everywhere else they are SIGKILLed when PID 1 exits. With the
      // naive program that race is lost or won by luck (the program dies at once, the
      // init exits with it, the kernel kills the rest: measured 0, 1 or 2 of 2), so
      // `reached` is not part of those rows; their verdict is fail either way.
      if ((variant === 'tini-group' || variant === 'dumb-init') && program === 'naive') {
        return { grandchildren: 2, killed: false };
      }
      return {
        grandchildren: 2,
        reached: variant === 'tini-group' || variant === 'dumb-init',
        killed: !stopsOnTerm(variant, program),
      };
    case 'stop-signal': {
      const gets = init || PROGRAM_IS_PID1.includes(variant) || (variant === 'bash-trap' && program === 'aware');
      return { declared: 'SIGINT', received: gets ? 'SIGINT' : null, killed: !gets };
    }
    default:
      return undefined;
  }
}

/** The expected row for a catalogue subject's check and scenario (undefined for other images). */
export function expectedRow(
  check: string,
  variant: string | undefined,
  program: string | undefined,
  scenario: string | null,
): Row | undefined {
  if (!variant || !program || !(variant in PID1)) return undefined;
  if (check === 'signal-forwarding' && !FORWARDED_SIGNALS.includes(scenario as (typeof FORWARDED_SIGNALS)[number])) {
    return undefined;
  }
  return row(check, variant, program, scenario);
}

/** The fields of `expected` that differ in `observed` (empty when the row holds). */
export function mismatches(expected: Row, observed: object): string[] {
  const o = observed as Row;
  return Object.entries(expected)
    .filter(([k, v]) => JSON.stringify(o[k]) !== JSON.stringify(v))
    .map(([k, v]) => `${k}: expected ${JSON.stringify(v)}, observed ${JSON.stringify(o[k])}`);
}
