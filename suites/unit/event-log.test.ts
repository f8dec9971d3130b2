import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../harness/engine/connect.js';
import { EventLog, sawText } from '../../harness/engine/events.js';

/** An engine whose event stream is a pipe the test writes to. */
function streamingEngine() {
  const stream = new PassThrough();
  const asked: unknown[] = [];
  const docker = {
    getEvents: async (options: unknown) => {
      asked.push(options);
      return stream;
    },
  };
  return { session: { engine: { docker } as unknown as Engine }, stream, asked };
}

const line = (id: string, action: string, t: number, attributes: Record<string, string> = {}) =>
  `${JSON.stringify({ Action: action, id, timeNano: t, Actor: { ID: id, Attributes: attributes } })}\n`;

describe('the run event log', () => {
  it('subscribes once, filtered by the run label, and waits for the condition', async () => {
    const { session, stream, asked } = streamingEngine();
    const log = new EventLog(session, 'io.harness.run=r1');
    expect(await log.open()).toBe(true);
    expect(await log.open()).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ filters: { type: ['container'], label: ['io.harness.run=r1'] } });
    const waiting = log.waitFor('a', (es) => es.some((e) => e.action === 'die'), 5000);
    // Split across chunks, an exec event in between, another container's events.
    const text = line('a', 'create', 1) + line('a', 'exec_start', 2) + line('b', 'start', 3) + line('a', 'start', 4);
    stream.write(text.slice(0, 30));
    stream.write(text.slice(30));
    expect(log.seen('a')).toBe(true);
    expect(log.actions('a')).toEqual(['create', 'start']);
    stream.write(line('a', 'kill', 5, { signal: '15' }) + line('a', 'die', 6, { exitCode: '0' }));
    const events = await waiting;
    expect(Array.isArray(events) && events.map((e) => `${e.action}@${e.timeNano}`)).toEqual([
      'create@1',
      'start@4',
      'kill@5',
      'die@6',
    ]);
    expect(Array.isArray(events) && events[2]?.attributes.signal).toBe('15');
  });

  it('forgets a destroyed container, and answers null once the stream ends', async () => {
    const { session, stream } = streamingEngine();
    const log = new EventLog(session, 'l=v');
    await log.open();
    stream.write(line('a', 'create', 1) + line('a', 'destroy', 2));
    expect(log.seen('a')).toBe(false);
    const waiting = log.waitFor('a', (es) => es.length > 5, 5000);
    stream.end();
    expect(await waiting).toBeNull();
    expect(log.streaming).toBe(false);
  });

  it('says timeout when the condition does not hold in time, and is unused without an engine stream', async () => {
    const { session } = streamingEngine();
    const log = new EventLog(session, 'l=v');
    await log.open();
    expect(await log.waitFor('a', () => false, 20)).toBe('timeout');
    const none = new EventLog({ engine: { docker: {} } as unknown as Engine }, 'l=v');
    expect(await none.open()).toBe(false);
    expect(none.streaming).toBe(false);
  });

  it('tells a run of one action once, with its count', () => {
    expect(sawText(['create', 'start', 'kill', 'kill', 'kill', 'die'])).toBe('create, start, kill x3, die');
    expect(sawText([])).toBe('nothing');
  });
});
