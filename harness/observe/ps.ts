import { runToCompletion } from '../engine/containers.js';
import type { Session } from '../engine/session.js';
import { ScenarioError } from '../errors.js';
import { monotonicMs } from './clock.js';

export interface ProcessRow {
  pid: number;
  ppid: number;
  /** ps STAT: first letter is the state (R, S, D, Z, T...). */
  stat: string;
  comm: string;
  args: string;
}

export interface PsSnapshot {
  /** Monotonic time the snapshot was taken. */
  atMs: number;
  processes: ProcessRow[];
}

/**
 * Parse the toolbox's ps-snapshot output, leaving out the sidecar's own shell and its
 * children (the ps processes themselves).
 */
export function parsePsSnapshot(text: string): ProcessRow[] {
  const lines = text.split('\n');
  const selfLine = lines.find((l) => l.startsWith('self '));
  const self = Number(selfLine?.slice(5));
  const sep = lines.indexOf('--');
  if (!selfLine || sep < 0) throw new Error('unexpected ps-snapshot output');
  const args = new Map<number, string>();
  for (const line of lines.slice(sep + 1)) {
    const m = /^\s*(\d+)\s?(.*)$/.exec(line);
    if (m) args.set(Number(m[1]), (m[2] ?? '').trim());
  }
  const rows: ProcessRow[] = [];
  for (const line of lines.slice(lines.indexOf(selfLine) + 1, sep)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ppid = Number(m[2]);
    if (pid === self || ppid === self) continue;
    rows.push({ pid, ppid, stat: m[3] ?? '', comm: (m[4] ?? '').trim(), args: args.get(pid) ?? '' });
  }
  return rows;
}

/** A `ps` of the container's PID namespace, taken from a toolbox sidecar joined to it. */
export async function psSnapshot(
  session: Session,
  toolboxImage: string,
  containerId: string,
  labels: Record<string, string> = {},
): Promise<PsSnapshot> {
  const atMs = monotonicMs();
  const { exitCode, logs } = await runToCompletion(
    session,
    { image: toolboxImage, purpose: 'ps-sidecar', pidMode: `container:${containerId}`, labels },
    15_000,
  );
  const text = logs
    .filter((l) => l.stream === 'stdout')
    .map((l) => l.text)
    .join('\n');
  if (exitCode !== 0) {
    throw new ScenarioError(`ps sidecar for ${containerId.slice(0, 12)} exited ${exitCode}`, {
      detail: logs.map((l) => l.text).join('\n'),
    });
  }
  return { atMs, processes: parsePsSnapshot(text) };
}

export const isZombie = (p: ProcessRow): boolean => p.stat.startsWith('Z');
