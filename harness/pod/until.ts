import { BadInputError } from '../errors.js';
import type { PodEvent } from './events.js';

/** What a stop condition reads of a pod run. */
export interface PodView {
  events: readonly PodEvent[];
  phase: string;
  containers: ReadonlyMap<string, { restartCount: number; ready: boolean }>;
}

/** A condition the run stops at (the pod is then deleted, with its termination sequence). */
export interface PodCondition {
  text: string;
  holds(pod: PodView): boolean;
}

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'];
const OPS: Record<string, (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
  '=': (a, b) => a === b,
  '<=': (a, b) => a <= b,
};

const SYNTAX =
  'restarts>=N, CONTAINER.restarts>=N, phase=PHASE, CONTAINER.ready, or an event count such as Unhealthy>=3 or CONTAINER.Killing>=1';

/**
 * Parse one `--until` condition:
 *   restarts>=1            any container restarted at least once
 *   app.restarts>=2        container app restarted at least twice
 *   phase=Failed           the pod's phase
 *   app.ready              container app is Ready (ready=false: not Ready)
 *   Unhealthy>=3           at least 3 events with that reason (app.Unhealthy>=3: of app)
 */
export function parseUntil(text: string): PodCondition {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.)?([A-Za-z]+)(?:(>=|<=|=|>)(\w+))?$/.exec(text.trim());
  if (!m) throw new BadInputError(`pod run: --until "${text}" is not a condition (${SYNTAX})`);
  const container = m[1];
  const key = m[3] as string;
  const op = m[4];
  const value = m[5];
  const number = () => {
    const n = Number(value);
    if (!op || !OPS[op] || !Number.isInteger(n) || n < 0)
      throw new BadInputError(
        `pod run: --until "${text}": ${key} needs a comparison with a whole number, e.g. ${key}>=1`,
      );
    return (a: number) => (OPS[op] as (a: number, b: number) => boolean)(a, n);
  };
  const pick = (pod: PodView) =>
    [...pod.containers.entries()].filter(([name]) => !container || name === container).map(([, c]) => c);
  if (key === 'restarts') {
    const cmp = number();
    return { text, holds: (pod) => pick(pod).some((c) => cmp(c.restartCount)) };
  }
  if (key === 'phase') {
    if (container || op !== '=' || !value || !PHASES.includes(value))
      throw new BadInputError(`pod run: --until "${text}": use phase=${PHASES.join('|')}`);
    return { text, holds: (pod) => pod.phase === value };
  }
  if (key === 'ready') {
    const want = value === undefined ? true : value === 'true' ? true : value === 'false' ? false : undefined;
    if (want === undefined || (op && op !== '='))
      throw new BadInputError(`pod run: --until "${text}": use ready, ready=true or ready=false`);
    return {
      text,
      holds: (pod) => {
        const cs = pick(pod);
        return cs.length > 0 && cs.every((c) => c.ready === want);
      },
    };
  }
  if (/^[A-Z]/.test(key)) {
    const cmp = number();
    return {
      text,
      holds: (pod) =>
        cmp(pod.events.filter((e) => e.reason === key && (!container || e.container === container)).length),
    };
  }
  throw new BadInputError(`pod run: --until "${text}": unknown "${key}" (${SYNTAX})`);
}

/** All of them (a run with several --until stops when every one holds). */
export function allOf(conditions: readonly PodCondition[]): PodCondition {
  return { text: conditions.map((c) => c.text).join(' and '), holds: (pod) => conditions.every((c) => c.holds(pod)) };
}
