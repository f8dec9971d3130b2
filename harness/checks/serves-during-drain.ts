import { ScenarioError } from '../errors.js';
import { elapsedMs, monotonicMs } from '../observe/clock.js';
import type { RunningContainer } from '../run/container.js';
import type { NetAnswer } from '../runtime/net-prober.js';
import { base, HANG_MS, scenario, startContainer } from './common.js';
import { defineCheck } from './definition.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

export interface ServesDuringDrainObserved {
  /** The ready port watched (null: the image has none, the check does not apply). */
  port: number | null;
  /** How an answer was recognised: an HTTP response of any status, or a TCP connection accepted. */
  answeredBy: 'http' | 'tcp' | null;
  /** Requests sent from the stop signal until the container exited. */
  requests: number;
  /** The last answer after the stop signal, ms after it (null: none came). */
  lastAnswerMs: number | null;
  /** The first request refused while the program still ran, ms after the stop signal (null: none). */
  refusedAtMs: number | null;
  /** From the stop signal to the container's exit, ms. */
  exitedAfterMs: number | null;
}

const EMPTY: ServesDuringDrainObserved = {
  port: null,
  answeredBy: null,
  requests: 0,
  lastAnswerMs: null,
  refusedAtMs: null,
  exitedAfterMs: null,
};

/** The pace of requests during the drain, as a readiness probe's period would set it, ms. */
const REQUEST_EVERY_MS = 50;
/** Each request's own timeout, s (net-probe's argument). */
const REQUEST_TIMEOUT_S = 1;

/** net-probe's arguments for one request to the port, from inside the container's network namespace. */
const requestTo = (port: number, by: 'http' | 'tcp') =>
  by === 'http'
    ? ['http', '127.0.0.1', String(port), '/', 'HTTP', String(REQUEST_TIMEOUT_S), 'kube-probe/1.33', '[]']
    : ['tcp', '127.0.0.1', String(port), String(REQUEST_TIMEOUT_S)];

/** Whether an answer counts as served: an HTTP response (any status) or, for TCP, an accepted connection. */
const served = (a: NetAnswer, by: 'http' | 'tcp') => (by === 'http' ? a.status !== null : a.result === 'success');

/**
 * A request the program dropped: refused, or reset before an answer (its listener
 * closed). A request that only timed out was slow, not dropped: a loaded machine must
 * not turn a slow answer into a closed listener.
 */
const dropped = (a: NetAnswer) =>
  a.status === null && /connection refused|connection reset|remote end closed/i.test(a.output);

/** The program's processes as the engine lists them, zombies left out; [] once it is gone. */
async function stillRunning(container: RunningContainer): Promise<string[]> {
  return ((await container.processes()) ?? []).filter((p) => !/<defunct>/.test(p));
}

/**
 * serves-during-drain: after the stop signal, does the image's ready port keep
 * answering until the program exits? During a rollout the endpoints go on sending
 * requests for a while after the kubelet's SIGTERM; a program that closes its listener
 * at once refuses them. A helper in the container's network namespace sends a request
 * every 50 ms from before the stop until the exit; a request refused (or reset) is a
 * failure only when the program is seen still running after it, twice in a row (the
 * engine's process list, not a clock), so the listener closing as the program exits
 * never counts; one that is only slow never does.
 */
function servesDuringDrain(ctx: CheckContext, subject: Subject): Promise<Observation<ServesDuringDrainObserved>> {
  const port = subject.readyPort;
  if (!port)
    return Promise.resolve({
      ...base(subject, 'serves-during-drain', null, 'nothing: the image has no ready port to watch'),
      verdict: 'skip',
      reason: "no ready port to watch: give --ready-port (or the policy's startup.readyPort)",
      observed: EMPTY,
      evidence: {},
      durationMs: 0,
    });
  const G = subject.graceSeconds ?? ctx.graceSeconds;
  return scenario<ServesDuringDrainObserved>(
    ctx,
    subject,
    {
      check: 'serves-during-drain',
      scenario: null,
      did: `started ${subject.name}, sent requests to port ${port} from inside its network namespace, stopped it with a ${G} s grace period and went on until it exited`,
      empty: { ...EMPTY, port },
    },
    async (container) => {
      const watcher = await startContainer(ctx, {
        image: ctx.toolboxImage,
        purpose: 'drain-watcher',
        network: `container:${container.id}`,
        entrypoint: ['sleep', 'infinity'],
        cmd: [],
        labels: container.spec.labels,
      });
      const { NetProber } = await import('../runtime/net-prober.js');
      const prober = new NetProber(watcher);
      try {
        const first = await prober.probe(requestTo(port, 'http'), REQUEST_TIMEOUT_S * 1000);
        const by = first.status !== null ? 'http' : 'tcp';
        if (by === 'tcp') {
          const tcp = await prober.probe(requestTo(port, 'tcp'), REQUEST_TIMEOUT_S * 1000);
          if (!served(tcp, 'tcp'))
            throw new ScenarioError(`port ${port} refused before the stop signal: ${tcp.output}`);
        }
        let exited = false;
        const stopAt = monotonicMs();
        const stopping = container.stop(G).finally(() => (exited = true));
        // Settles with the stop, failed or not (its failure is read where it is awaited,
        // after the loop): the loop's pace gives way to it, and it is never unhandled.
        const stopped = stopping.then(
          () => undefined,
          () => undefined,
        );
        const notes: string[] = [];
        let requests = 0;
        let slow = 0;
        let lastAnswerMs: number | null = null;
        let refusedAtMs: number | null = null;
        let refusedWhile: string[] = [];
        const deadline = stopAt + G * 1000 + HANG_MS;
        while (!exited && refusedAtMs === null && monotonicMs() < deadline) {
          const sentMs = elapsedMs(stopAt);
          const answer = await prober.probe(requestTo(port, by), REQUEST_TIMEOUT_S * 1000);
          if (exited) break;
          requests++;
          if (served(answer, by)) lastAnswerMs = Math.round(sentMs);
          else if (!dropped(answer)) slow++;
          else if ((refusedWhile = await stillRunning(container)).length) {
            // Refused while the program runs: once more, to tell a closed listener from a blip.
            const again = await prober.probe(requestTo(port, by), REQUEST_TIMEOUT_S * 1000);
            if (dropped(again) && (await stillRunning(container)).length) {
              refusedAtMs = Math.round(sentMs);
              notes.push(`refused: ${answer.output}`, `still running: ${refusedWhile.slice(0, 8).join('; ')}`);
            }
          }
          // The next request in its period, or no more once the container has exited.
          let tick: NodeJS.Timeout | undefined;
          await Promise.race([stopped, new Promise((r) => (tick = setTimeout(r, REQUEST_EVERY_MS)))]);
          clearTimeout(tick);
        }
        if (slow) notes.push(`${slow} request(s) got no answer within ${REQUEST_TIMEOUT_S} s: slow, not refused`);
        const { exited: state, requested } = await stopping;
        const exitedAfterMs = Math.max(0, Math.round(state.finishedAtMs - requested.wallMs));
        const observed: ServesDuringDrainObserved = {
          port,
          answeredBy: by,
          requests,
          lastAnswerMs,
          refusedAtMs,
          exitedAfterMs,
        };
        const evidence = {
          exitCode: state.exitCode,
          logs: await container.logs(),
          state: state.state(),
          ...(notes.length ? { notes } : {}),
        };
        const what = by === 'http' ? 'answering' : 'accepting connections';
        return refusedAtMs === null
          ? {
              verdict: 'pass',
              reason: `kept ${what} on port ${port} until it exited, ${exitedAfterMs} ms after the stop signal (${requests} request${requests === 1 ? '' : 's'} in that time)`,
              observed,
              evidence,
            }
          : {
              // mutant: reports a refusal during the drain as a pass
              // => verdict: 'pass',
              verdict: 'fail',
              reason: `stopped ${what} on port ${port} ${refusedAtMs} ms after the stop signal while the program ran on (it exited after ${exitedAfterMs} ms): requests still routed to it during a rollout are refused`,
              observed,
              evidence,
            };
      } finally {
        prober.close();
        await watcher.remove().catch(() => undefined);
      }
    },
  );
}

export const servesDuringDrainCheck = defineCheck<ServesDuringDrainObserved>({
  name: 'serves-during-drain',
  description: 'after the stop signal, whether the ready port keeps answering until the program exits',
  does: "stop with grace G while a helper in the container's network namespace sends a request to its ready port every 50 ms",
  observes:
    'whether a request was refused while the program still ran (the engine lists its processes after the refusal, twice); the last answer and the exit, after the stop signal',
  remedy:
    "The program closed its listening socket as soon as it got its stop signal but went on running, so the requests a load balancer or Kubernetes' endpoints still send during a rollout were refused. Keep accepting and answering (for instance with a preStop sleep or a drain period) until the work is done, then close the listener and exit.",
  // No catalogue subject listens on a port: the gate runs it, on an image with a ready port.
  scenarios: [],
  slow: true,
  run: (ctx, subject) => servesDuringDrain(ctx, subject),
  expected: () => undefined,
  figure(o) {
    if (!o.port) return 'no port';
    return o.refusedAtMs === null ? `served ${o.exitedAfterMs} ms` : `refused at ${o.refusedAtMs} ms`;
  },
  certify: {
    question: 'after its stop signal, does its ready port answer until it exits?',
    scenarios: [null],
    expectation: () => 'its ready port answers from the stop signal until the program exits',
  },
});
