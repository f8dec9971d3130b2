import { signalNumber } from '../signals.js';

/**
 * A process's signal masks as /proc/<pid>/status shows them (hexadecimal bit sets, bit
 * N-1 for signal N): pending (thread and process-wide), blocked, ignored and caught.
 */
export interface SignalMasks {
  SigPnd: string;
  ShdPnd: string;
  SigBlk: string;
  SigIgn: string;
  SigCgt: string;
  /**
   * The kernel function the process waits in, from /proc/<pid>/wchan: "0" when it is
   * running, "?" when it changed while the masks were read.
   */
  Wchan?: string;
  /** The process state letter read with the masks (R running, S sleeping, Z zombie...). */
  State?: string;
}

/**
 * What a process does with a signal, from its masks:
 * - caught: a handler is installed;
 * - blocked: held for sigwait/signalfd (how tini and catatonit take them). A process
 *   waiting in sigtimedwait has its waited-for signals taken out of SigBlk for the
 *   wait (the kernel keeps the real mask aside, unseen in /proc): one that waits there
 *   with a signal otherwise at its default counts as blocked for it;
 * - ignored: SIG_IGN;
 * - default: the default action, which for PID 1 of a namespace means the kernel drops
 *   the signal (only SIGKILL and SIGSTOP get through).
 */
export type Disposition = 'caught' | 'blocked' | 'ignored' | 'default';

const MASK_KEYS = ['SigPnd', 'ShdPnd', 'SigBlk', 'SigIgn', 'SigCgt'] as const;

/** Parse one "<pid> SigPnd=... ShdPnd=..." line of ps-snapshot's mask section. */
export function parseMaskLine(line: string): { pid: number; masks: SignalMasks } | null {
  const m = /^\s*(\d+)\s+(.*)$/.exec(line);
  if (!m) return null;
  const fields = Object.fromEntries(
    (m[2] ?? '')
      .trim()
      .split(/\s+/)
      .map((kv) => kv.split('=') as [string, string]),
  );
  if (!MASK_KEYS.every((k) => /^[0-9a-f]+$/i.test(fields[k] ?? ''))) return null;
  const masks = Object.fromEntries(MASK_KEYS.map((k) => [k, fields[k] as string])) as unknown as SignalMasks;
  if (fields.Wchan) masks.Wchan = fields.Wchan;
  if (fields.State) masks.State = fields.State;
  return { pid: Number(m[1]), masks };
}

function hasBit(hex: string, signal: number): boolean {
  return ((BigInt(`0x${hex}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

export function disposition(masks: SignalMasks, signal: string | number): Disposition {
  const n = typeof signal === 'number' ? signal : signalNumber(signal);
  if (!n) return 'default';
  if (hasBit(masks.SigCgt, n)) return 'caught';
  if (hasBit(masks.SigBlk, n)) return 'blocked';
  if (hasBit(masks.SigIgn, n)) return 'ignored';
  if (/sigtimedwait/.test(masks.Wchan ?? '')) return 'blocked';
  return 'default';
}

/**
 * Whether the masks were read from a process at rest (sleeping, stopped), so they are
 * its lasting disposition. A process that is running, or moved while they were read,
 * may be inside a signal wait that lends its waited-for signals out of SigBlk (tini,
 * woken from sigtimedwait but not yet scheduled, shows them neither blocked nor
 * caught): such a reading cannot tell "blocked" from "default".
 */
export function atRest(masks: SignalMasks): boolean {
  if (masks.State === undefined) return true;
  return /^[SDTtI]$/.test(masks.State) && masks.Wchan !== '?';
}

/** Whether the signal is pending (sent, not yet taken) for the process. */
export function pending(masks: SignalMasks, signal: string | number): boolean {
  const n = typeof signal === 'number' ? signal : signalNumber(signal);
  return !!n && (hasBit(masks.SigPnd, n) || hasBit(masks.ShdPnd, n));
}

/** One phrase for a report cell: "SIGTERM caught", "... dropped by the kernel"... */
export function describeDisposition(d: Disposition, signal: string, isPid1: boolean): string {
  switch (d) {
    case 'caught':
      return `${signal} caught`;
    case 'blocked':
      return `${signal} blocked (taken with sigwait)`;
    case 'ignored':
      return `${signal} ignored`;
    default:
      return isPid1 ? `${signal} default (dropped by the kernel)` : `${signal} default (dies of it)`;
  }
}
