import type { HTTPGetAction, LifecycleHandler, Probe, TCPSocketAction } from 'kubernetes-types/core/v1.js';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ExecResult } from '../engine/exec.js';
import type { RunningContainer } from '../run/container.js';
import { sleep } from './events.js';

export interface HandlerResult {
  ok: boolean;
  detail: string;
}

function resolvePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  const named = (c.ports ?? []).find((p) => p.name === port);
  return named?.containerPort ?? Number(port);
}

/** Run net-probe inside the pod sandbox: it shares the pod's network namespace. */
async function netProbe(
  sandbox: RunningContainer,
  args: string[],
  timeoutMs: number,
): Promise<{ result: string; status: number | null; detail: string } | null> {
  const r = await sandbox.exec(['net-probe', ...args], timeoutMs + 2000);
  const line = r.stdout.trim().split('\n').at(-1);
  if (r.timedOut || !line) return null;
  try {
    return JSON.parse(line) as { result: string; status: number | null; detail: string };
  } catch {
    return null;
  }
}

function httpArgs(h: HTTPGetAction, c: Container, timeoutS: number): string[] {
  // The pod's IP is its loopback here: the sandbox shares the namespace.
  const host = h.host && h.host !== 'localhost' ? h.host : '127.0.0.1';
  const headers = (h.httpHeaders ?? []).map((x) => `${x.name}=${x.value}`);
  return [
    'http',
    host,
    String(resolvePort(h.port, c)),
    h.path || '/',
    h.scheme || 'HTTP',
    String(timeoutS),
    ...headers,
  ];
}

function tcpArgs(t: TCPSocketAction, c: Container, timeoutS: number): string[] {
  return ['tcp', t.host || '127.0.0.1', String(resolvePort(t.port, c)), String(timeoutS)];
}

/** An exec handler (probe or hook): exit 0 succeeds; its last line of output is the detail. */
async function execHandler(
  instance: RunningContainer,
  command: string[],
  timeoutMs: number,
  timedOutDetail: string,
): Promise<HandlerResult> {
  let r: ExecResult;
  try {
    r = await instance.exec(command, timeoutMs);
  } catch (err) {
    return { ok: false, detail: `exec failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}` };
  }
  if (r.timedOut) return { ok: false, detail: timedOutDetail };
  const out = `${r.stdout}${r.stderr}`.trim().split('\n').at(-1) ?? '';
  return { ok: !r.failed, detail: `exit ${r.exitCode}${out ? `: ${out.slice(0, 200)}` : ''}` };
}

/**
 * One probe attempt, bounded by the probe's timeout: an exec probe whose command
 * outlives it is a failure and is not waited for.
 */
export async function runProbe(
  probe: Probe,
  c: Container,
  instance: RunningContainer,
  sandbox: RunningContainer,
): Promise<HandlerResult> {
  const timeoutS = probe.timeoutSeconds || 1;
  if (probe.exec) {
    return execHandler(instance, probe.exec.command ?? [], timeoutS * 1000, `command timed out after ${timeoutS} s`);
  }
  if (probe.httpGet || probe.tcpSocket) {
    const args = probe.httpGet
      ? httpArgs(probe.httpGet, c, timeoutS)
      : tcpArgs(probe.tcpSocket as TCPSocketAction, c, timeoutS);
    const r = await netProbe(sandbox, args, timeoutS * 1000);
    if (!r) return { ok: false, detail: `no answer within ${timeoutS} s` };
    return { ok: r.result === 'success', detail: r.detail };
  }
  return { ok: false, detail: 'grpc probes are not supported by this emulator' };
}

/**
 * A lifecycle hook. exec: non-zero exit fails; httpGet: only a transport error fails
 * (the status code is not checked); sleep: waits. `timeoutMs` bounds it (preStop is
 * cut off by the grace period; postStart has no timeout of its own).
 */
export async function runHook(
  hook: LifecycleHandler,
  c: Container,
  instance: RunningContainer,
  sandbox: RunningContainer,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HandlerResult> {
  if (hook.exec) {
    return execHandler(
      instance,
      hook.exec.command ?? [],
      timeoutMs,
      `still running after ${Math.round(timeoutMs / 1000)} s`,
    );
  }
  if (hook.httpGet) {
    const r = await netProbe(sandbox, httpArgs(hook.httpGet, c, Math.max(1, timeoutMs / 1000)), timeoutMs);
    if (!r) return { ok: false, detail: 'no answer' };
    return { ok: r.status !== null, detail: r.status !== null ? `HTTP ${r.status}` : r.detail };
  }
  if (hook.sleep) {
    const ran = await sleep(Math.min(hook.sleep.seconds * 1000, timeoutMs), signal);
    return { ok: true, detail: ran ? `slept ${hook.sleep.seconds} s` : 'sleep cut short' };
  }
  return { ok: false, detail: 'unsupported hook handler' };
}
