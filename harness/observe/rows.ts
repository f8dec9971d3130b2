import { HarnessFaultError } from '../errors.js';
import { parseMaskLine, type SignalMasks } from './signals.js';

/**
 * Process tables as the toolbox's ps-snapshot prints them, and what is read from them:
 * pure functions of the text, apart from the observers that take the snapshots
 * (ps.ts), so what judges a snapshot loads no engine code.
 */

export interface ProcessRow {
  pid: number;
  ppid: number;
  /** ps STAT: first letter is the state (R, S, D, Z, T...). */
  stat: string;
  /** What the process calls itself (any process can set it). */
  comm: string;
  /**
   * The file name of the program it runs, from the kernel's /proc/<pid>/exe: what it
   * cannot rename without running another program. Absent when the observer may not
   * read it.
   */
  exe?: string;
  args: string;
  /** Signal masks from /proc/<pid>/status (absent for a process gone before they were read). */
  masks?: SignalMasks;
}

export interface PsSnapshot {
  /** Monotonic time the snapshot was taken. */
  atMs: number;
  processes: ProcessRow[];
}

/**
 * Parse the toolbox's ps-snapshot output, leaving out the sidecar's own processes: the
 * ps-snapshot run itself ("self") and those ps-snapshot named as the observer's by the
 * sidecar's mount namespace. Read from the node ("self 0") it names none, and nothing
 * is left out.
 */
export function parsePsSnapshot(text: string): ProcessRow[] {
  const lines = text.split('\n');
  const selfLine = lines.find((l) => l.startsWith('self '));
  const self = Number(selfLine?.slice(5));
  const sep = lines.indexOf('--');
  if (!selfLine || sep < 0) throw new HarnessFaultError('unexpected ps-snapshot output');
  const maskSep = lines.indexOf('==', sep);
  const masks = new Map<number, SignalMasks>();
  const exes = new Map<number, string>();
  // The observer sidecar's own processes (and the ps run's) are not the container's.
  const observers = new Set<number>();
  if (maskSep >= 0) {
    for (const line of lines.slice(maskSep + 1)) {
      const o = /^observer (\d+)$/.exec(line.trim());
      if (o) observers.add(Number(o[1]));
      const m = parseMaskLine(line);
      if (m) masks.set(m.pid, m.masks);
      const exe = /^\s*(\d+)\s.*\bExe=(\S+)/.exec(line);
      if (m && exe) exes.set(m.pid, exe[2] as string);
    }
  }
  const args = new Map<number, string>();
  for (const line of lines.slice(sep + 1, maskSep >= 0 ? maskSep : undefined)) {
    const m = /^\s*(\d+)\s?(.*)$/.exec(line);
    if (m) args.set(Number(m[1]), (m[2] ?? '').trim());
  }
  const rows: ProcessRow[] = [];
  for (const line of lines.slice(lines.indexOf(selfLine) + 1, sep)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ppid = Number(m[2]);
    // "self 0": read from outside the namespace, nothing of the reader's is in it.
    if ((self > 0 && (pid === self || ppid === self)) || observers.has(pid) || observers.has(ppid)) continue;
    const row: ProcessRow = { pid, ppid, stat: m[3] ?? '', comm: (m[4] ?? '').trim(), args: args.get(pid) ?? '' };
    const mask = masks.get(pid);
    if (mask) row.masks = mask;
    const exe = exes.get(pid);
    if (exe) row.exe = exe;
    rows.push(row);
  }
  return rows;
}

/** Ports in state LISTEN (0A) in /proc/net/tcp or tcp6 text ("sl local_address rem_address st ..."). */
export function listeningPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0] ?? '') || f[3] !== '0A') continue;
    const port = parseInt((f[1] ?? '').split(':')[1] ?? '', 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

export const isZombie = (p: ProcessRow): boolean => p.stat.startsWith('Z');

/**
 * Whether every live process was asleep when read: waiting in the kernel for something
 * (S), stopped (T, t) or idle (I), and not caught moving while its masks were read. A
 * process that is runnable (R: it has work left, such as a shell that has yet to exec
 * its program) or in uninterruptible I/O (D: loading what it is about to run) may still
 * change who it is and what it handles.
 */
export function allAsleep(snapshot: PsSnapshot): boolean {
  return snapshot.processes
    .filter((p) => !isZombie(p) && p.masks?.State !== undefined)
    .every((p) => /^[STtI]$/.test(p.masks?.State ?? '') && p.masks?.Wchan !== '?');
}

/**
 * What settles a program's readiness to be signalled: the processes (pid, name, live or
 * not) and the signal handling each has set up. Two snapshots with the same key in a
 * row mean the program has stopped exec'ing and installing handlers.
 */
export function signalReadinessKey(snapshot: PsSnapshot): string {
  return snapshot.processes
    .filter((p) => !isZombie(p))
    .map((p) => `${p.pid}:${p.comm}:${p.masks ? `${p.masks.SigBlk}/${p.masks.SigIgn}/${p.masks.SigCgt}` : '?'}`)
    .join(' ');
}
