import { ScenarioError } from '../errors.js';
import type { OnEngine } from './connect.js';

export interface EngineEvent {
  action: string;
  timeNano: number;
  attributes: Record<string, string>;
}

/**
 * The engine's events for one container, from its creation on, read until `until`
 * holds for what has been read (e.g. its die event is there). The engine streams
 * recorded events and then live ones, so this waits for the condition, not for a
 * time; `timeoutMs` only stops a hang, and says what it waited for.
 */
export async function containerEvents(
  session: OnEngine & { readonly eventLog?: EventLog },
  id: string,
  sinceWallMs: number,
  until: (events: EngineEvent[]) => boolean,
  timeoutMs: number,
  what = 'the events it waited for',
): Promise<EngineEvent[]> {
  const log = session.eventLog;
  if (!log?.streaming) return queryEvents(session, id, sinceWallMs, until, timeoutMs, what);
  if (!log.seen(id)) {
    // A container the run's log has not seen (made before it subscribed, or an engine
    // that filters differently): whichever answers first, the log or a query.
    const cancel = new AbortController();
    const fromLog = log.waitFor(id, until, timeoutMs, cancel.signal).then((r) => {
      if (!Array.isArray(r)) throw new Error('not in the log');
      return r;
    });
    const query = queryEvents(session, id, sinceWallMs, until, timeoutMs, what, cancel.signal);
    try {
      return await Promise.any([fromLog, query]);
    } catch {
      return await query;
    } finally {
      cancel.abort();
    }
  }
  const r = await log.waitFor(id, until, timeoutMs);
  if (Array.isArray(r)) return r;
  if (r === null) return queryEvents(session, id, sinceWallMs, until, timeoutMs, what);
  throw new ScenarioError(
    `container ${id.slice(0, 12)}: the engine did not report ${what} within ${Math.round(timeoutMs / 1000)} s (saw: ${sawText(log.actions(id))})`,
  );
}

/** Actions in order, a run of one action told once with its count: "create, start, kill x300". */
export function sawText(actions: string[]): string {
  const runs: [string, number][] = [];
  for (const a of actions) {
    const last = runs[runs.length - 1];
    if (last && last[0] === a) last[1]++;
    else runs.push([a, 1]);
  }
  return runs.map(([a, n]) => (n > 1 ? `${a} x${n}` : a)).join(', ') || 'nothing';
}

/** The same, asked of the engine's own record (which keeps only its latest events). */
async function queryEvents(
  session: OnEngine,
  id: string,
  sinceWallMs: number,
  until: (events: EngineEvent[]) => boolean,
  timeoutMs: number,
  what = 'the events it waited for',
  cancel?: AbortSignal,
): Promise<EngineEvent[]> {
  const stream = (await session.engine.docker.getEvents({
    // Only a lower bound for the engine's search: the container filter isolates it.
    since: Math.floor(sinceWallMs / 1000) - 60,
    filters: { container: [id], type: ['container'] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  const events: EngineEvent[] = [];
  let buffered = '';
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stream.destroy();
  }, timeoutMs);
  const stopped = () => stream.destroy();
  cancel?.addEventListener('abort', stopped);
  if (cancel?.aborted) stopped();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buffered += Buffer.from(chunk).toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        events.push(toEvent(JSON.parse(line) as RawEvent));
      }
      if (until(events)) return events;
    }
  } catch (err) {
    if (!timedOut && !cancel?.aborted) throw err;
  } finally {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', stopped);
    stream.destroy();
  }
  if (cancel?.aborted) throw new Error('cancelled');
  throw new ScenarioError(
    `container ${id.slice(0, 12)}: the engine did not report ${what} within ${Math.round(timeoutMs / 1000)} s (saw: ${sawText(events.map((e) => e.action))})`,
  );
}

/** Actions the log keeps: an observer's execs would fill it with nothing a check reads. */
const kept = (action: string) => !action.startsWith('exec_');

/**
 * One live subscription to the engine's container events for a whole run, kept per
 * process. The engine keeps only its last few hundred events for a later query (256 on
 * Docker), and a busy run with observer sidecars overruns that in seconds: a container's
 * create and start would be gone by the time its stop is judged. Subscribed before the
 * run's first create, the log sees every event of every container the run makes.
 */
export class EventLog {
  private readonly byId = new Map<string, EngineEvent[]>();
  private readonly waiters = new Set<() => void>();
  private opened?: Promise<boolean>;
  private live = false;
  private stream?: NodeJS.ReadableStream & { destroy(): void };

  constructor(
    private readonly session: OnEngine,
    /** The label (key=value) every container of the run carries. */
    private readonly label: string,
  ) {}

  /** Subscribe, once; resolves false when the engine would not stream (the log then stays unused). */
  open(): Promise<boolean> {
    this.opened ??= this.subscribe().catch(() => false);
    return this.opened;
  }

  /** True while the subscription is streaming: only then are its records complete. */
  get streaming(): boolean {
    return this.live;
  }

  private async subscribe(): Promise<boolean> {
    const subscribing = this.session.engine.docker.getEvents({
      since: Math.floor(Date.now() / 1000) - 5,
      filters: { type: ['container'], label: [this.label] },
    }) as Promise<NodeJS.ReadableStream & { destroy(): void; socket?: { unref(): void } }>;
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer')), SUBSCRIBE_MS);
    });
    const stream = await Promise.race([subscribing, hang]).finally(() => clearTimeout(timer));
    // The subscription never keeps the process alive on its own.
    stream.socket?.unref();
    this.stream = stream;
    this.live = true;
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += Buffer.from(chunk).toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.record(line);
      for (const wake of [...this.waiters]) wake();
    });
    const end = () => {
      this.live = false;
      for (const wake of [...this.waiters]) wake();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
    return true;
  }

  private record(line: string): void {
    let e: RawEvent;
    try {
      e = JSON.parse(line) as RawEvent;
    } catch {
      return;
    }
    const id = e.Actor?.ID ?? e.id;
    if (!id || !kept(e.Action)) return;
    if (e.Action === 'destroy') {
      this.byId.delete(id);
      return;
    }
    const list = this.byId.get(id) ?? [];
    list.push(toEvent(e));
    this.byId.set(id, list);
  }

  /**
   * The events of container `id` once `until` holds for them; null if the subscription
   * ended first (the caller then asks the engine). `timeoutMs` only stops a hang.
   */
  async waitFor(
    id: string,
    until: (events: EngineEvent[]) => boolean,
    timeoutMs: number,
    cancel?: AbortSignal,
  ): Promise<EngineEvent[] | 'timeout' | null> {
    const current = () => [...(this.byId.get(id) ?? [])];
    return new Promise((resolve) => {
      const done = (r: EngineEvent[] | 'timeout' | null) => {
        clearTimeout(timer);
        cancel?.removeEventListener('abort', cancelled);
        this.waiters.delete(check);
        resolve(r);
      };
      const cancelled = () => done(null);
      cancel?.addEventListener('abort', cancelled);
      const check = () => {
        const events = current();
        if (until(events)) done(events);
        else if (!this.live) done(null);
      };
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** True once the log has recorded an event of container `id`. */
  seen(id: string): boolean {
    return this.byId.has(id);
  }

  /** The actions recorded for container `id`, in order. */
  actions(id: string): string[] {
    return (this.byId.get(id) ?? []).map((e) => e.action);
  }

  /** End the subscription (a later `open` subscribes again). */
  close(): void {
    this.live = false;
    this.opened = undefined;
    this.stream?.destroy();
    this.stream = undefined;
    this.byId.clear();
  }
}

/** How long a subscription may take to be answered before the log is left unused. */
const SUBSCRIBE_MS = 10_000;

interface RawEvent {
  Action: string;
  id?: string;
  timeNano: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

const toEvent = (e: RawEvent): EngineEvent => ({
  action: e.Action,
  timeNano: e.timeNano,
  attributes: e.Actor?.Attributes ?? {},
});
