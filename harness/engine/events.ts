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
  session: OnEngine,
  id: string,
  sinceWallMs: number,
  until: (events: EngineEvent[]) => boolean,
  timeoutMs: number,
  what = 'the events it waited for',
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
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buffered += Buffer.from(chunk).toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        const e = JSON.parse(line) as {
          Action: string;
          timeNano: number;
          Actor?: { Attributes?: Record<string, string> };
        };
        events.push({ action: e.Action, timeNano: e.timeNano, attributes: e.Actor?.Attributes ?? {} });
      }
      if (until(events)) return events;
    }
  } catch (err) {
    if (!timedOut) throw err;
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
  throw new ScenarioError(
    `container ${id.slice(0, 12)}: the engine did not report ${what} within ${Math.round(timeoutMs / 1000)} s (saw: ${events.map((e) => e.action).join(', ') || 'nothing'})`,
  );
}
