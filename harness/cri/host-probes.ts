import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../paths.js';
import type { ExecResult, ExecStream } from '../engine/exec.js';

/** The most output kept of one command (a probe prints one JSON line). */
const OUTPUT_MAX = 64 * 1024;

/**
 * A host command with its stdin open, as an ExecStream: lines written to it, its stdout
 * read line by line, its last stderr line the reason it ended.
 */
export function streamOf(command: string, args: string[], onLine: (line: string) => void): ExecStream {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let lastErr = '';
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', (l) => (lastErr = l.slice(0, 500)));
  const ended = new Promise<string>((resolve) => {
    child.on('error', (err) => resolve(err.message));
    child.on('close', (code, signal) => resolve(lastErr || `exit ${code ?? signal ?? '?'}`));
  });
  child.stdin.on('error', () => undefined);
  let open = true;
  void ended.then(() => (open = false));
  return {
    writeLine: (line: string) => open && child.stdin.write(`${line}\n`),
    ended,
    close: (graceMs = 10_000) => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      void ended.then(() => clearTimeout(timer));
    },
  };
}

/**
 * The toolbox's net-probe run on the host itself, as the kubelet probes from the node: for
 * pods whose IP the host reaches directly (the CRI's bridge). `net-probe` in a command
 * names the toolbox's script, run by the host's python3 (it needs nothing but the
 * standard library); no other command runs.
 */
export class HostProbes {
  private argv(cmd: string[]): string[] {
    if (cmd[0] !== 'net-probe') throw new Error(`only net-probe runs on the host, not ${cmd[0] ?? ''}`);
    return [join(projectRoot(), 'images', 'toolbox', 'net-probe'), ...cmd.slice(1)];
  }

  execStream(cmd: string[], onLine: (line: string) => void): Promise<ExecStream> {
    return Promise.resolve(streamOf('python3', this.argv(cmd), onLine));
  }

  exec(cmd: string[], timeoutMs: number): Promise<ExecResult> {
    const t0 = Date.now();
    const child = spawn('python3', this.argv(cmd), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-OUTPUT_MAX)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-OUTPUT_MAX)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    return new Promise<ExecResult>((resolve) => {
      const done = (exitCode: number | undefined, signal?: string) => {
        clearTimeout(timer);
        resolve({
          command: cmd.join(' '),
          exitCode,
          ...(signal ? { signal } : {}),
          timedOut,
          failed: timedOut || exitCode !== 0,
          durationMs: Date.now() - t0,
          stdout,
          stderr,
        });
      };
      child.on('error', (err) => {
        stderr += err.message;
        done(undefined);
      });
      child.on('close', (code, signal) => done(code ?? undefined, signal ?? undefined));
    });
  }
}
