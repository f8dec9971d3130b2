/**
 * A second observer, independent of the harness: the docker CLI (its own client, not
 * the harness's) and raw reads of the host's /proc. The battery suites compare what a
 * check observed with what the witness saw of the same container, taken just before
 * the harness removed it, so a check that misreads its evidence cannot agree with
 * itself. Needs the engine on this host (its processes are in this /proc).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';

export interface WitnessedProcess {
  /** Host pid. */
  pid: number;
  ppid: number;
  comm: string;
  /** File name of the program it runs (the host's readlink of /proc/<pid>/exe). */
  exe: string;
  cmdline: string;
  /** One letter: R, S, D, Z, T... */
  state: string;
  sigCgt: bigint;
  sigBlk: bigint;
  sigIgn: bigint;
  wchan: string;
}

export interface Witnessed {
  status: string;
  running: boolean;
  exitCode: number;
  stopSignal: string;
  /** PID 1 and every descendant, from the host's /proc (empty when not running). */
  processes: WitnessedProcess[];
  /** The engine's events for the container, through the CLI. */
  events: { action: string; signal?: string; exitCode?: string; timeNano: number }[];
  /** What the container printed, through the CLI. */
  logs: string[];
}

function docker(args: string[], endpoint: string, timeout = 60_000) {
  const host = /^[a-z]+:\/\//.test(endpoint) ? endpoint : `unix://${endpoint}`;
  return execa('docker', args, { env: { DOCKER_HOST: host }, timeout, buffer: timeout > 0 });
}

type WitnessedEvent = Witnessed['events'][number];

function parseEvent(line: string): (WitnessedEvent & { id?: string }) | undefined {
  try {
    const e = JSON.parse(line) as {
      Action: string;
      id?: string;
      timeNano: number;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    return {
      id: e.Actor?.ID ?? e.id,
      action: e.Action,
      signal: e.Actor?.Attributes?.signal,
      exitCode: e.Actor?.Attributes?.exitCode,
      timeNano: e.timeNano,
    };
  } catch {
    return undefined;
  }
}

/**
 * The witness's own live `docker events` for the containers carrying `labels`, started
 * before they are made: the engine keeps only its latest events for a later query (256
 * on Docker), which a busy run overruns long before a scenario ends.
 */
export class EventWatch {
  private readonly byId = new Map<string, WitnessedEvent[]>();
  private readonly child: ResultPromise;

  constructor(endpoint: string, labels: Record<string, string>) {
    const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
    const since = String(Math.floor(Date.now() / 1000) - 5);
    this.child = docker(
      ['events', '--since', since, '--filter', 'type=container', ...filters, '--format', '{{json .}}'],
      endpoint,
      0,
    );
    this.child.catch(() => undefined);
    let buffered = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const e of lines.map(parseEvent)) {
        if (!e?.id) continue;
        const { id, ...event } = e;
        this.byId.set(id, [...(this.byId.get(id) ?? []), event]);
      }
    });
  }

  events(id: string): WitnessedEvent[] {
    return this.byId.get(id) ?? [];
  }

  stop(): void {
    this.child.kill();
  }
}

/** The program's file name; '' for a zombie (it has none left) or one gone meanwhile. */
function exeOf(pid: number): string {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
  } catch {
    return '';
  }
}

function readProc(pid: number): WitnessedProcess | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
    return {
      pid,
      ppid: Number(field('PPid')),
      comm: field('Name'),
      exe: exeOf(pid),
      cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(),
      state: field('State').slice(0, 1),
      sigCgt: BigInt(`0x${field('SigCgt') || '0'}`),
      sigBlk: BigInt(`0x${field('SigBlk') || '0'}`),
      sigIgn: BigInt(`0x${field('SigIgn') || '0'}`),
      wchan: readFileSync(`/proc/${pid}/wchan`, 'utf8').trim(),
    };
  } catch {
    return undefined; // gone between listing and reading
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** PID 1 and its descendants, breadth first. */
function processTree(pid1: number): WitnessedProcess[] {
  const out: WitnessedProcess[] = [];
  const queue = [pid1];
  while (queue.length) {
    const pid = queue.shift() as number;
    const p = readProc(pid);
    if (!p) continue;
    out.push(p);
    queue.push(...children(pid));
  }
  return out;
}

/** PID 1 read again while it is not at rest (running, or between two waits), a few times at most. */
async function restingPid1(pid1: number): Promise<WitnessedProcess | undefined> {
  let p = readProc(pid1);
  for (let i = 0; i < 20 && p && (p.state === 'R' || p.wchan === '0'); i++) {
    await delay(50);
    p = readProc(pid1);
  }
  return p;
}

/**
 * What the witness sees of container `id`; `sinceMs` (wall clock) bounds the engine's
 * event search from below (the scenario's start). The CLI calls run side by side.
 */
export async function witness(id: string, endpoint: string, sinceMs: number, watch?: EventWatch): Promise<Witnessed> {
  const since = Math.floor(sinceMs / 1000) - 2;
  // Until now, to the millisecond: an `--until` in the future makes the engine hold the
  // answer back until that second has passed (up to a second or two per container).
  // Events of the last instant are in the live watch joined below.
  const until = (Date.now() / 1000).toFixed(3);
  const [inspected, ev, logs] = await Promise.all([
    docker(['inspect', id], endpoint),
    docker(
      ['events', '--since', String(since), '--until', until, '--filter', `container=${id}`, '--format', '{{json .}}'],
      endpoint,
    ),
    docker(['logs', id], endpoint),
  ]);
  const inspect = JSON.parse(inspected.stdout)[0] as {
    State: { Status: string; Running: boolean; ExitCode: number; Pid: number };
    Config: { StopSignal?: string };
  };
  let processes: WitnessedProcess[] = [];
  if (inspect.State.Running && inspect.State.Pid > 0) {
    const pid1 = await restingPid1(inspect.State.Pid);
    processes = processTree(inspect.State.Pid).map((p) => (p.pid === pid1?.pid ? pid1 : p));
  }
  // What the live watch saw, joined with what the engine still keeps (the latest events).
  const queried = String(ev.stdout).split('\n').map(parseEvent);
  const seen = new Map<string, WitnessedEvent>();
  for (const e of [...(watch?.events(id) ?? []), ...queried]) {
    if (!e || !['kill', 'die', 'start'].includes(e.action)) continue;
    seen.set(`${e.action}|${e.timeNano}`, {
      action: e.action,
      signal: e.signal,
      exitCode: e.exitCode,
      timeNano: e.timeNano,
    });
  }
  const events = [...seen.values()].sort((a, b) => a.timeNano - b.timeNano);
  return {
    status: inspect.State.Status,
    running: inspect.State.Running,
    exitCode: inspect.State.ExitCode,
    stopSignal: inspect.Config.StopSignal || 'SIGTERM',
    processes,
    events,
    logs: `${logs.stdout}\n${logs.stderr}`.split('\n').filter((l) => l !== ''),
  };
}

const bit = (mask: bigint, signal: number) => ((mask >> BigInt(signal - 1)) & 1n) === 1n;

/** What a process does with a signal, read from its raw masks (tini waits in sigtimedwait: blocked). */
export function rawDisposition(p: WitnessedProcess, signal: number): 'caught' | 'blocked' | 'ignored' | 'default' {
  if (bit(p.sigCgt, signal)) return 'caught';
  if (bit(p.sigBlk, signal) || /^do_sigtimedwait\b/.test(p.wchan)) return 'blocked';
  if (bit(p.sigIgn, signal)) return 'ignored';
  return 'default';
}

/** The first kill the engine sent, the SIGKILL if any, and the die: from the CLI's events. */
export function stopEvents(w: Witnessed): { firstSignal?: string; sigkill: boolean; dieAfterKillMs?: number } {
  const kills = w.events.filter((e) => e.action === 'kill');
  const die = w.events.find((e) => e.action === 'die');
  const first = kills[0];
  return {
    firstSignal: first?.signal,
    sigkill: kills.some((k) => k.signal === '9' || k.signal === 'SIGKILL'),
    dieAfterKillMs: first && die ? (die.timeNano - first.timeNano) / 1e6 : undefined,
  };
}
