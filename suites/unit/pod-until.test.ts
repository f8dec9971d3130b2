import { describe, expect, it } from 'vitest';
import type { PodEvent } from '../../harness/pod/events.js';
import { POD_SCENARIOS } from '../../harness/pod/faceoff.js';
import { allOf, parseUntil, type PodView } from '../../harness/pod/until.js';

const event = (reason: string, container: string | null): PodEvent => ({
  atMs: 0,
  type: 'Normal',
  reason,
  container,
  message: '',
  source: 'kubelet',
});

const pod = (over: Partial<PodView> = {}): PodView => ({
  events: [event('Unhealthy', 'app'), event('Unhealthy', 'app'), event('Unhealthy', 'side'), event('Killing', 'app')],
  phase: 'Running',
  containers: new Map([
    ['app', { restartCount: 1, ready: false }],
    ['side', { restartCount: 0, ready: true }],
  ]),
  ...over,
});

describe('pod run --until conditions', () => {
  it.each([
    ['restarts>=1', true],
    ['restarts>=2', false],
    ['side.restarts>=1', false],
    ['app.restarts=1', true],
    ['phase=Running', true],
    ['phase=Failed', false],
    ['side.ready', true],
    ['app.ready', false],
    ['app.ready=false', true],
    ['Unhealthy>=3', true],
    ['app.Unhealthy>=3', false],
    ['app.Killing>=1', true],
    ['BackOff>=1', false],
  ])('%s holds: %s', (text, holds) => {
    expect(parseUntil(text).holds(pod())).toBe(holds);
  });

  it('all of several must hold', () => {
    const c = allOf([parseUntil('restarts>=1'), parseUntil('phase=Failed')]);
    expect(c.text).toBe('restarts>=1 and phase=Failed');
    expect(c.holds(pod())).toBe(false);
    expect(c.holds(pod({ phase: 'Failed' }))).toBe(true);
  });

  it.each([
    ['restarts', /needs a comparison with a whole number/],
    ['restarts>=x', /needs a comparison with a whole number/],
    ['phase>=Running', /use phase=Pending\|Running\|Succeeded\|Failed/],
    ['phase=Done', /use phase=/],
    ['app.ready=maybe', /use ready, ready=true or ready=false/],
    ['weather=fine', /unknown "weather"/],
    ['restarts >= 1 or not', /is not a condition/],
  ])('%s is a one-line error', (text, message) => {
    expect(() => parseUntil(text)).toThrow(message);
  });
});

describe('the reference pod scenarios', () => {
  it.each(Object.keys(POD_SCENARIOS))('%s has a stop condition that parses', (key) => {
    expect(POD_SCENARIOS[key]?.until().text.length).toBeGreaterThan(0);
  });
});
