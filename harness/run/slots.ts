import { rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import type { AdaptiveBound, Limiter } from './bound.js';
import { HarnessFaultError } from '../errors.js';

/**
 * One bound on scenario containers in flight shared by several processes (the test
 * workers of one `npm test`): a tiny server on a unix socket hands out `size` slots.
 * A client holds a slot for as long as its connection is open, so a worker that dies
 * gives its slots back with its sockets.
 */
export interface SlotServer {
  path: string;
  size: number;
  /** Slots handed out so far, the most held at once, the bound now (for the run's summary) and the requests waiting. */
  stats(): { granted: number; peak: number; bound: number; waiting: number };
  /** Per client label (a test file): slots held, seconds held and seconds waited, most held first. */
  usage(): SlotUsage[];
  close(): Promise<void>;
}

export interface SlotUsage {
  label: string;
  slots: number;
  heldS: number;
  waitedS: number;
}

export async function startSlotServer(path: string, size: number, bound?: AdaptiveBound): Promise<SlotServer> {
  rmSync(path, { force: true });
  let held = 0;
  let granted = 0;
  let peak = 0;
  const waiting: Socket[] = [];
  // Clients that asked ahead of the queue ("slot!"): runs another run started, which
  // that run's tests wait on (see sharedSlots). Granted before `waiting`, in their order.
  let ahead = 0;
  const holders = new Set<Socket>();
  // Each client's label and when it asked / was granted, for usage().
  const asked = new Map<Socket, { label: string; atMs: number; grantedAtMs?: number }>();
  const usage = new Map<string, SlotUsage>();
  const account = (s: Socket) => {
    const a = asked.get(s);
    asked.delete(s);
    if (a?.grantedAtMs === undefined) return;
    const u = usage.get(a.label) ?? { label: a.label, slots: 0, heldS: 0, waitedS: 0 };
    u.slots++;
    u.heldS += (performance.now() - a.grantedAtMs) / 1000;
    u.waitedS += (a.grantedAtMs - a.atMs) / 1000;
    usage.set(a.label, u);
  };
  const limit = () => Math.min(size, bound?.current ?? size);
  const grant = () => {
    while (held < limit() && waiting.length) {
      const s = waiting.shift() as Socket;
      if (ahead > 0) ahead--;
      if (s.destroyed) continue;
      held++;
      granted++;
      peak = Math.max(peak, held);
      holders.add(s);
      const a = asked.get(s);
      if (a) a.grantedAtMs = performance.now();
      s.write('ok\n');
    }
  };
  // A client's lines: "slot [label]" asks for a slot (held while the connection is open);
  // "lat <ms>" reports a container's create-to-start time (see AdaptiveBound).
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buffered = '';
    socket.on('data', (d: string) => {
      buffered += d;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        const ask = /^slot(!?)( |$)/.exec(line);
        if (ask && !holders.has(socket) && !waiting.includes(socket)) {
          asked.set(socket, { label: line.slice(ask[0].length).trim() || '-', atMs: performance.now() });
          if (ask[1]) waiting.splice(ahead++, 0, socket);
          else waiting.push(socket);
        } else if (line.startsWith('lat ')) bound?.observe(Number(line.slice(4)));
        grant();
      }
    });
    const done = () => {
      account(socket);
      if (holders.delete(socket)) held--;
      const i = waiting.indexOf(socket);
      if (i >= 0) waiting.splice(i, 1);
      if (i >= 0 && i < ahead) ahead--;
      grant();
    };
    socket.on('close', done);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  server.unref();
  return {
    path,
    size,
    stats: () => ({ granted, peak, bound: limit(), waiting: waiting.length }),
    usage: () => [...usage.values()].sort((a, b) => b.heldS - a.heldS),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of [...holders, ...waiting]) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A limiter whose slots come from a slot server (see startSlotServer); `label` names the
 * client in its usage. `ahead`: its requests go before the ones already waiting (after
 * other such requests).
 */
export function slotLimiter(path: string, size: number, label = '', ahead = false): Limiter {
  return {
    size,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      const socket = createConnection(path);
      try {
        await new Promise<void>((resolve, reject) => {
          let buffered = '';
          socket.setEncoding('utf8');
          socket.write(`slot${ahead ? '!' : ''} ${label.replace(/\s+/g, '_')}\n`);
          socket.on('data', (d: string) => {
            buffered += d;
            if (buffered.includes('ok\n')) resolve();
          });
          socket.once('error', (err) =>
            reject(new HarnessFaultError(`the run's slot server at ${path} failed: ${err.message}`)),
          );
          socket.once('close', () => reject(new HarnessFaultError(`the run's slot server at ${path} closed`)));
        });
        return await fn();
      } finally {
        socket.destroy();
      }
    },
    observe(createToStartMs: number) {
      const socket = createConnection(path, () => socket.end(`lat ${Math.round(createToStartMs)}\n`));
      socket.on('error', () => socket.destroy());
    },
  };
}

/**
 * The environment variable through which harness processes started by another run (a
 * test suite's, a CI job's) join that run's slot server: "<size>:<socket path>". Their
 * scenario containers then count against the one bound of the machine, as the suites'
 * own do, instead of piling on top of it.
 */
export const SHARED_SLOTS_ENV = 'HARNESS_SLOTS';

/**
 * The slot server named by HARNESS_SLOTS, as a limiter; undefined when it names none.
 * Its requests go ahead of the queue: the run that started this process is waiting on
 * it (a test, with its own timeout), and such a process runs few scenarios.
 */
export function sharedSlots(label: string, env: NodeJS.ProcessEnv = process.env): Limiter | undefined {
  const value = env[SHARED_SLOTS_ENV];
  const m = value ? /^(\d+):(.+)$/.exec(value) : null;
  if (!m) return undefined;
  return slotLimiter(m[2] as string, Number(m[1]), label, true);
}

/**
 * A slot of `local` and then one of `shared` (when there is one) for each scenario: a
 * run keeps its own bound and also queues behind the machine's.
 */
export function joinShared(local: Limiter, shared: Limiter | undefined): Limiter {
  if (!shared) return local;
  return {
    size: local.size,
    run: (fn) => local.run(() => shared.run(fn)),
    observe(ms) {
      local.observe?.(ms);
      shared.observe?.(ms);
    },
  };
}
