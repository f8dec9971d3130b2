/**
 * What a program's readiness to be signalled rests on, across snapshots: PID 1 and the
 * processes that live across the window, not the short-lived children a supervisor's
 * shell loop, a service's forked health checks or a cron-like program keep making.
 *
 * A process is churn when others of its kind (same parent, same name) have been seen
 * to come and go at least CHURN_AFTER times: from then on, one of that kind younger
 * than the span it would need to matter is left out of the readiness key. Everything
 * else is in it, as before: a new process, an exec, a handler installed changes the key.
 * One child that came and went (a pre-start script) does not make its kind churn, so a
 * program started after it still has to settle.
 */
import { allAsleep, isZombie, signalReadinessKey, type ProcessRow, type PsSnapshot } from './rows.js';

/** How many of a kind must come and go before newer ones of that kind are churn. */
const CHURN_AFTER = 2;

const kindOf = (p: ProcessRow): string => `${p.ppid}:${p.comm}`;

export class SettleTracker {
  /** When each live pid was first seen (its kind with it). */
  private readonly firstSeen = new Map<number, { atMs: number; kind: string }>();
  /** How many of each kind came and went. */
  private readonly gone = new Map<string, number>();

  /** `minAgeMs`: a churn process at least this old counts again (it lives across the window). */
  constructor(private readonly minAgeMs: number) {}

  /** Take a snapshot in; returns the processes readiness rests on in it. */
  see(snapshot: PsSnapshot): ProcessRow[] {
    const live = snapshot.processes.filter((p) => !isZombie(p));
    const now = new Set(live.map((p) => p.pid));
    for (const [pid, seen] of this.firstSeen) {
      if (now.has(pid)) continue;
      this.firstSeen.delete(pid);
      this.gone.set(seen.kind, (this.gone.get(seen.kind) ?? 0) + 1);
    }
    for (const p of live) {
      const seen = this.firstSeen.get(p.pid);
      // A pid reused by another program is a new process.
      if (!seen || seen.kind !== kindOf(p)) this.firstSeen.set(p.pid, { atMs: snapshot.atMs, kind: kindOf(p) });
    }
    return live.filter((p) => !this.isChurn(p, snapshot.atMs));
  }

  private isChurn(p: ProcessRow, atMs: number): boolean {
    if (p.pid === 1) return false;
    const seen = this.firstSeen.get(p.pid);
    return (this.gone.get(kindOf(p)) ?? 0) >= CHURN_AFTER && !!seen && atMs - seen.atMs < this.minAgeMs;
  }

  /** The kinds left out, as evidence reads them: `sleep (child of pid 7) came and went 5 times`. */
  churn(): string[] {
    return [...this.gone]
      .filter(([, n]) => n >= CHURN_AFTER)
      .map(([kind, n]) => {
        const [ppid, ...comm] = kind.split(':');
        return `${comm.join(':')} (child of pid ${ppid}) came and went ${n} times`;
      });
  }
}

/** The readiness key and whether every lasting process was asleep, over the processes readiness rests on. */
export function settleReading(snapshot: PsSnapshot, lasting: ProcessRow[]): { key: string; asleep: boolean } {
  const view = { atMs: snapshot.atMs, processes: lasting };
  return { key: signalReadinessKey(view), asleep: allAsleep(view) };
}

/**
 * The settled state without pids: each lasting process's program and signal masks, as
 * a sorted multiset. Another container of the same image that shows this shape has
 * reached the state the first one settled on, whatever pids its processes got.
 */
export function settledShape(lasting: ProcessRow[]): string {
  return lasting
    .map((p) => `${p.exe ?? p.comm}:${p.masks ? `${p.masks.SigBlk}/${p.masks.SigIgn}/${p.masks.SigCgt}` : '?'}`)
    .sort()
    .join(' ');
}

/** What readiness rested on, in one sentence for the evidence. */
export function restedOn(lasting: ProcessRow[], settledMs: number, churn: string[], asSettled = false): string {
  const pid1 = lasting.find((p) => p.pid === 1);
  const others = lasting.filter((p) => p.pid !== 1).map((p) => p.comm);
  const who = `PID 1 (${pid1?.exe ?? pid1?.comm ?? '?'})${others.length ? ` and ${others.length} more (${[...new Set(others)].join(', ')})` : ''}`;
  const how = asSettled
    ? `as the image's preflight container settled on them, seen twice in a row over ${Math.round(settledMs)} ms, every process asleep`
    : `unchanged for ${Math.round(settledMs)} ms`;
  return `the signal masks of ${who} ${how}${churn.length ? `; left out as short-lived: ${churn.join('; ')}` : ''}`;
}
