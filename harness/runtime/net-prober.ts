import type { ExecResult, ExecStream } from '../engine/exec.js';

/** Where net-probe runs: a helper container (RunningContainer), or the host itself (HostProbes). */
export interface ProbeHost {
  execStream(cmd: string[], onLine: (line: string) => void): Promise<ExecStream>;
  exec(cmd: string[], timeoutMs: number): Promise<ExecResult>;
}

/**
 * What the node-side prober answered: net-probe's JSON, or `error` when it gave no
 * answer (the kubelet's prober error: the result is thrown away, not counted).
 */
export interface NetAnswer {
  result: 'success' | 'warning' | 'failure' | 'error';
  status: number | null;
  output: string;
}

/** How long `net-probe serve` may take to say it is ready before each probe is an exec of its own. */
const SERVE_READY_MS = 30_000;

/**
 * A prober in a helper container: one long-lived `net-probe serve` (the toolbox's)
 * answers every probe over one exec's stdin and stdout, each on its own thread, so a
 * probe costs no process start and no engine call, and a busy engine does not eat into
 * the probe's timeout. Where that server cannot be started (or ends), each probe is a
 * `net-probe` exec of its own. The pod emulator's node-side prober is one; a check
 * that watches a container's port from inside its network namespace is another.
 */
export class NetProber {
  private server?: Promise<ExecStream | null>;
  private readonly waiting = new Map<number, (a: NetAnswer) => void>();
  private nextId = 1;

  constructor(private readonly node: ProbeHost) {}

  private start(): Promise<ExecStream | null> {
    this.server ??= new Promise<ExecStream | null>((resolve) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) {
          void opened.then((s) => s?.close());
          resolve(null);
        }
      }, SERVE_READY_MS);
      const opened = this.node
        .execStream(['net-probe', 'serve'], (line) => {
          let msg: Partial<NetAnswer> & { id?: number | null; ready?: boolean };
          try {
            msg = JSON.parse(line) as typeof msg;
          } catch {
            return;
          }
          if (msg.ready && !ready) {
            ready = true;
            clearTimeout(timer);
            void opened.then((s) => resolve(s));
            return;
          }
          const done = typeof msg.id === 'number' ? this.waiting.get(msg.id) : undefined;
          if (done && msg.result) done({ result: msg.result, status: msg.status ?? null, output: msg.output ?? '' });
        })
        .catch(() => {
          clearTimeout(timer);
          resolve(null);
          return null;
        });
      void opened.then((s) =>
        s?.ended.then((why) => {
          // Whoever still waits is answered; the next probe starts a new server.
          this.server = undefined;
          for (const done of this.waiting.values())
            done({ result: 'error', status: null, output: `the node-side prober ended: ${why}` });
          this.waiting.clear();
          if (!ready) {
            clearTimeout(timer);
            resolve(null);
          }
        }),
      );
    });
    return this.server;
  }

  async probe(args: string[], timeoutMs: number): Promise<NetAnswer> {
    const server = await this.start();
    if (!server) return this.execProbe(args, timeoutMs);
    const id = this.nextId++;
    const limitS = Math.round(timeoutMs / 1000) + 5;
    return new Promise<NetAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ result: 'error', status: null, output: `no answer from the node-side prober within ${limitS} s` });
      }, timeoutMs + 5000);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(a);
      });
      if (!server.writeLine(JSON.stringify({ id, args })))
        this.waiting.get(id)?.({ result: 'error', status: null, output: 'the node-side prober has ended' });
    });
  }

  /** One probe as an exec of its own. */
  private async execProbe(args: string[], timeoutMs: number): Promise<NetAnswer> {
    const r = await this.node.exec(['net-probe', ...args], timeoutMs + 5000);
    const line = r.stdout.trim().split('\n').at(-1);
    if (line) {
      try {
        return JSON.parse(line) as NetAnswer;
      } catch {
        // not an answer: said below
      }
    }
    const why = r.timedOut
      ? `no answer from the node-side prober within ${Math.round(timeoutMs / 1000) + 5} s`
      : `the node-side prober failed: ${r.stderr.trim().split('\n').at(-1) || `exit ${r.exitCode}`}`;
    return { result: 'error', status: null, output: why };
  }

  close(): void {
    void this.server?.then((s) => s?.close());
    this.server = undefined;
  }
}
