import type { Container, LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { RunningContainer } from '../run/container.js';
import { sleepAtLeast } from './events.js';
import type { PodNetwork } from './network.js';
import { execOutcome, httpArgs, KUBE_VERSION, UnresolvedPort } from './prober/prober.js';

/** A hook's outcome; `detail` is what the kubelet logs (its event leaves it out). */
export interface HandlerResult {
  ok: boolean;
  detail: string;
  /** An HTTPS hook that succeeded in HTTP: the LifecycleHTTPFallback event's message. */
  fallback?: string;
}

/**
 * A lifecycle hook (pkg/kubelet/lifecycle/handlers.go). exec: a non-zero exit fails;
 * httpGet: from the node to the pod IP with User-Agent kube-lifecycle, only a transport
 * error fails (the status code is not checked); sleep: waits, cut short when `signal`
 * aborts (the pod's deletion for postStart, the grace period for preStop). `timeoutMs`
 * bounds it.
 */
export async function runHook(
  hook: LifecycleHandler,
  c: Container,
  pod: string,
  instance: RunningContainer,
  net: PodNetwork,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HandlerResult> {
  if (hook.exec) {
    const command = hook.exec.command ?? [];
    const r = await execOutcome(instance, command, timeoutMs);
    if (r.result === 'success') return { ok: true, detail: `exit 0${r.output ? `: ${r.output.slice(-200)}` : ''}` };
    if (r.exec?.timedOut) return { ok: false, detail: `still running after ${Math.round(timeoutMs / 1000)} s` };
    return {
      ok: false,
      detail: `Exec lifecycle hook (${JSON.stringify(command)}) for Container "${c.name}" in Pod "${pod}" failed - error: command '${command.join(' ')}' exited with ${r.exec?.exitCode ?? '?'}: ${r.output.slice(-200)}, message: ${JSON.stringify(r.output.slice(-200))}`,
    };
  }
  if (hook.httpGet) {
    const timeoutS = Math.max(1, Math.round(timeoutMs / 1000));
    let args: string[];
    try {
      args = httpArgs(hook.httpGet, c, net, timeoutS, `kube-lifecycle/${KUBE_VERSION}`);
    } catch (err) {
      // lifecycle/handlers.go resolvePort: a name the container does not declare.
      if (err instanceof UnresolvedPort)
        return { ok: false, detail: `couldn't find port: ${String(hook.httpGet.port)} in container ${c.name}` };
      throw err;
    }
    const r = await net.probe(args, timeoutMs);
    // handlers.go runHTTPHandler: an HTTPS hook answered in plain HTTP is tried again in
    // HTTP, without its Authorization header; a success then is said with an event.
    if (
      r.status === null &&
      hook.httpGet.scheme === 'HTTPS' &&
      /server gave HTTP response to HTTPS client/.test(r.output)
    ) {
      const headers = (JSON.parse(args[7] ?? '[]') as [string, string][]).filter(
        ([n]) => n.toLowerCase() !== 'authorization',
      );
      const again = await net.probe(
        [...args.slice(0, 4), 'HTTP', ...args.slice(5, 7), JSON.stringify(headers)],
        timeoutMs,
      );
      if (again.status !== null)
        return {
          ok: true,
          detail: `HTTP ${again.status}`,
          fallback: `request to HTTPS lifecycle hook ${args[1]}:${args[2]} got HTTP response, retry with HTTP succeeded`,
        };
    }
    return { ok: r.status !== null, detail: r.status !== null ? `HTTP ${r.status}` : r.output };
  }
  if (hook.sleep) {
    const ran = await sleepAtLeast(Math.min(hook.sleep.seconds * 1000, timeoutMs), signal);
    return {
      ok: true,
      detail: ran && hook.sleep.seconds * 1000 <= timeoutMs ? `slept ${hook.sleep.seconds} s` : 'sleep cut short',
    };
  }
  return { ok: false, detail: 'unsupported hook handler' };
}
