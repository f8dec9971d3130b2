import type { FakeContainer, FakeImage, FakeProcessSpec } from '../../harness/runtime/fake.js';
import type { ExecStream } from '../../harness/runtime/runtime.js';

/**
 * Programs for the in-memory runtime, written as the images of the catalogue behave on
 * the engine (images/app/app.py and the variants' PID 1s): each a few lines of what the
 * kernel and the program do, so a check's logic can be run without an engine.
 */

const HANDLED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT', 'SIGWINCH'];

export interface AppOptions {
  /** Handle signals (log "signal X"; TERM and INT then exit 0): the catalogue's aware program. */
  aware?: boolean;
  /** Its parent (a shell's or an init's child), PID 1 when unset. */
  ppid?: number;
  /** Reaps every child it has (and, as PID 1, every orphan). */
  reaps?: boolean;
  /** Exit this long after the stop signal instead of at once (ms). */
  drainMs?: number;
  /** A port it listens on; closed at the stop signal unless `servesWhileDraining`. */
  port?: number;
  servesWhileDraining?: boolean;
  /** Catches SIGTERM and does nothing with it (a handler that never ends the program). */
  swallowsTerm?: boolean;
  /** As a shell's child: the shell exits with a status of its own (0), not the program's. */
  ownExitStatus?: boolean;
}

/** The catalogue's app.py, as it behaves under the APP_* variables of its environment. */
export function app(c: FakeContainer, o: AppOptions = {}): number {
  const handles: FakeProcessSpec['handles'] = {};
  let pid = 0;
  if (o.aware)
    for (const s of HANDLED)
      handles[s] = (name) => {
        c.log(`signal ${name}`);
        if (name !== 'SIGTERM' && name !== 'SIGINT') return;
        if (!o.servesWhileDraining && o.port) c.ports.delete(o.port);
        for (const p of c.processes.values()) if (p.ppid === pid && p.pid !== pid) c.deliver(p.pid, name);
        const exit = () => c.exit(pid, 0);
        if (o.drainMs) c.after(o.drainMs, exit);
        else exit();
      };
  if (o.swallowsTerm) handles.SIGTERM = (name) => c.log(`signal ${name}`);
  const proc = c.spawn({
    comm: 'python3',
    args: 'python3 /app/app.py',
    exe: 'python3.11',
    handles,
    ...(o.ppid !== undefined ? { ppid: o.ppid } : {}),
    ...(o.reaps ? { reaps: true } : {}),
  });
  pid = proc.pid;
  if (o.port) c.ports.add(o.port);
  c.log(`ready pid=${pid}`);
  const after = Number(c.env.APP_EXIT_AFTER ?? 0) * 1000;
  if (c.env.APP_EXIT_CODE) c.after(after, () => c.exit(pid, Number(c.env.APP_EXIT_CODE)));
  if (c.env.APP_KILL_SELF)
    c.after(after, () => {
      const signal = c.env.APP_KILL_SELF as string;
      c.deliver(pid, signal);
      if (c.processes.get(pid)?.stat !== 'Z' && c.running) c.log(`survived ${signal}`);
    });
  const grandchildren = Number(c.env.APP_GRANDCHILDREN ?? 0);
  for (let i = 0; i < grandchildren; i++) {
    const g = c.spawn({
      comm: 'python3',
      args: 'python3 /app/app.py grandchild',
      ppid: 1,
      handles: {
        SIGTERM: (name) => {
          c.log(`grandchild pid=${g.pid} signal ${name}`);
          c.exit(g.pid, 0);
        },
      },
    });
    c.log(`grandchild pid=${g.pid} started`);
  }
  return pid;
}

/** The program itself as PID 1 (exec form). */
export function programImage(o: AppOptions = {}, config: FakeImage['config'] = {}): FakeImage {
  return { program: (c) => app(c, o), config, exec: shellExec };
}

/**
 * A shell as PID 1 (shell form): it handles no signal and forwards none, waits for its
 * child (reaping whatever exits meanwhile) and exits with the child's status, or, as
 * an entrypoint script with a status of its own, with 0.
 */
export function shellImage(o: AppOptions = {}): FakeImage {
  return {
    program(c) {
      c.spawn(
        o.ownExitStatus
          ? { comm: 'entrypoint.sh', args: '/bin/bash /entrypoint.sh', exe: 'bash', reaps: true }
          : { comm: 'sh', args: '/bin/sh -c python3 /app/app.py', exe: 'dash', reaps: true },
      );
      const child = app(c, { ...o, ppid: 1 });
      c.onExit(child, (code) => c.exit(1, o.ownExitStatus ? 0 : code));
    },
    exec: shellExec,
  };
}

/** tini as PID 1: forwards every signal to its child, reaps every orphan, exits with its child's status. */
export function initImage(o: AppOptions = {}): FakeImage {
  return {
    program(c) {
      let child = 0;
      const forward = (name: string) => c.deliver(child, name);
      c.spawn({
        comm: 'tini',
        args: '/usr/bin/tini -- python3 /app/app.py',
        exe: 'tini',
        handles: Object.fromEntries(HANDLED.map((s) => [s, forward])),
        reaps: true,
      });
      child = app(c, { ...o, ppid: 1 });
      c.onExit(child, (code) => c.exit(1, code));
    },
    exec: shellExec,
  };
}

/**
 * What `sh -c` does in these images for the two commands checks exec: `X & exit 0`
 * (an orphan that lives a while) and `sleep S & kill -KILL $$` (an exec probe killed,
 * its child left). The exec'd shell's parent is outside the namespace (ppid 0).
 */
export function shellExec(c: FakeContainer, cmd: string[]): { exitCode?: number } | undefined {
  const script = cmd.at(-1) ?? '';
  const orphan = /(\S+ )?sleep ([\d.]+) &/.exec(script);
  if (!orphan) return undefined;
  const sh = c.spawn({ comm: 'sh', args: cmd.join(' '), ppid: 0 });
  const child = c.spawn({ comm: 'sleep', args: `${orphan[1] ?? ''}sleep ${orphan[2]}`.trim(), ppid: sh.pid });
  c.after(Number(orphan[2]) * 1000, () => c.exit(child.pid, 0));
  const killed = /kill -KILL \$\$/.test(script);
  c.exit(sh.pid, killed ? 137 : 0);
  // Its parent (the runtime) collects it at once.
  c.processes.delete(sh.pid);
  return { exitCode: killed ? 137 : 0 };
}

/**
 * The toolbox: its static busybox (for injection), and `net-probe serve`, answering
 * each request by whether the container whose network it joined listens on the port.
 */
export function toolboxImage(): FakeImage {
  return {
    program: (c) => void c.spawn({ comm: 'catatonit', args: 'catatonit -P', reaps: true }),
    files: { '/bin/busybox': Buffer.from('busybox') },
    execStream(c, cmd, onLine): ExecStream | undefined {
      if (cmd.join(' ') !== 'net-probe serve') return undefined;
      let open = true;
      let ended: (why: string) => void = () => undefined;
      setImmediate(() => onLine(JSON.stringify({ ready: true })));
      return {
        writeLine(line) {
          if (!open) return false;
          const { id, args } = JSON.parse(line) as { id: number; args: string[] };
          const listening = c.runtime.accepts(c, args[1] ?? '', Number(args[2]));
          const http = args[0] === 'http';
          // Its servers speak plain HTTP: an HTTPS request gets Go's complaint.
          if (listening && http && args[4] === 'HTTPS') {
            const url = `https://${args[1]}:${args[2]}${args[3]}`;
            const output = `Get "${url}": http: server gave HTTP response to HTTPS client`;
            setImmediate(() => onLine(JSON.stringify({ id, result: 'failure', status: null, output })));
            return true;
          }
          setImmediate(() =>
            onLine(
              JSON.stringify(
                listening
                  ? { id, result: 'success', status: http ? 200 : null, output: '' }
                  : {
                      id,
                      result: 'failure',
                      status: null,
                      output: `dial tcp 127.0.0.1:${args[2]}: connection refused`,
                    },
              ),
            ),
          );
          return true;
        },
        ended: new Promise<string>((resolve) => (ended = resolve)),
        close() {
          open = false;
          ended('closed');
        },
      };
    },
  };
}

/**
 * A pod's container: the catalogue program (handling SIGTERM unless `deaf`), listening
 * on 8080, with the commands probes and hooks exec: `true`, `false`, `exit N`,
 * `log TEXT` (a line in the container's log), `sleep S`; any other is refused as
 * Docker's OCI runtime refuses a missing program.
 */
export function podAppImage(o: { deaf?: boolean } = {}): FakeImage {
  return {
    program: (c) => void app(c, { aware: !o.deaf, port: 8080 }),
    async exec(c, cmd) {
      const [name, ...rest] = cmd;
      if (name === 'true') return { exitCode: 0 };
      if (name === 'false') return { exitCode: 1 };
      if (name === 'exit') return { exitCode: Number(rest[0]) };
      if (name === 'log') {
        c.log(rest.join(' '));
        return { exitCode: 0 };
      }
      if (name === 'sleep') {
        await new Promise((r) => setTimeout(r, Number(rest[0]) * 1000));
        return { exitCode: 0 };
      }
      // What Docker answers for a command the image does not have: the OCI runtime's refusal.
      return {
        exitCode: 126,
        stdout: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${name}": executable file not found in $PATH: unknown\r\n`,
      };
    },
  };
}
