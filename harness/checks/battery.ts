import type { CheckDefinition } from './definition.js';
import { execProbeZombiesCheck } from './exec-probe-zombies.js';
import { exitCodeCheck } from './exit-code.js';
import { gracefulStopCheck } from './graceful-stop.js';
import { orphansOnStopCheck } from './orphans-on-stop.js';
import { pid1Check } from './pid1.js';
import { servesDuringDrainCheck } from './serves-during-drain.js';
import { signalForwardingCheck } from './signal-forwarding.js';
import { stopSignalCheck } from './stop-signal.js';
import { zombieReapingCheck } from './zombie-reaping.js';

export type { CheckDefinition } from './definition.js';

/**
 * Every check, in report order. A check is one file exporting its definition; adding
 * one is that file, its suite, and a line here.
 */
const DEFINITIONS = [
  pid1Check,
  signalForwardingCheck,
  gracefulStopCheck,
  zombieReapingCheck,
  execProbeZombiesCheck,
  exitCodeCheck,
  orphansOnStopCheck,
  stopSignalCheck,
  servesDuringDrainCheck,
] as const;

/**
 * The registry, with each check's observed type erased: reports read observations back
 * from JSON (validated against the report schema), and hand each check its own.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCheck = CheckDefinition<any>;

export const CHECKS: readonly AnyCheck[] = DEFINITIONS;

export function checkByName(name: string): AnyCheck | undefined {
  return CHECKS.find((c) => c.name === name);
}

/** The checks the certification gate runs, in report order. */
export const CERTIFY_CHECKS: readonly AnyCheck[] = CHECKS.filter((c) => c.certify);
