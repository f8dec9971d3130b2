import type { Container, HTTPGetAction, Probe } from 'kubernetes-types/core/v1.js';
import type { ExecResult } from '../../runtime/runtime.js';
import type { RunningContainer } from '../../run/container.js';
import { expand } from '../expansion.js';
import type { PodNetwork } from '../network.js';

/**
 * One probe attempt (pkg/kubelet/prober/prober.go runProbe, with pkg/probe/exec, http,
 * tcp and grpc): its result and the output the kubelet's events quote.
 */
export interface ProbeOutcome {
  /** `error`: the prober itself failed (no answer, the exec refused): the kubelet throws the result away. */
  result: 'success' | 'warning' | 'failure' | 'error';
  output: string;
}

/** The Kubernetes minor this emulator follows (User-Agent kube-probe/1.33, kube-lifecycle/1.33). */
export const KUBE_VERSION = '1.33';

/** A port the probe cannot resolve: the kubelet's prober errors (the result is thrown away). */
export class UnresolvedPort extends Error {}

/**
 * A probe's port (prober.go extractPort): a number, or a name the container declares,
 * or, last, a number written as a string; else strconv's error. The API server accepts
 * any well-formed name, declared or not: the probe errors at every attempt.
 */
export function probePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  const named = (c.ports ?? []).find((p) => p.name === port);
  if (named) return named.containerPort;
  if (/^[+-]?\d+$/.test(port)) return Number(port);
  throw new UnresolvedPort(`strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
}

/** net-probe's arguments for an httpGet (probe or hook): host defaults to the pod IP. */
export function httpArgs(h: HTTPGetAction, c: Container, net: PodNetwork, timeoutS: number, agent: string): string[] {
  return [
    'http',
    h.host || net.podIP,
    String(probePort(h.port, c)),
    h.path || '/',
    h.scheme || 'HTTP',
    String(timeoutS),
    agent,
    JSON.stringify((h.httpHeaders ?? []).map((x) => [x.name, x.value])),
  ];
}

/** The environment variables with plain values (ExpandContainerCommandOnlyStatic reads only these). */
function staticEnv(c: Container): Map<string, string> {
  return new Map((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
}

/**
 * The most output of an exec probe the kubelet reads (pkg/probe/exec/exec.go,
 * maxReadLength: 10 KiB); the rest is dropped.
 */
const PROBE_OUTPUT_MAX = 10 * 1024;

/**
 * The OCI runtime's refusal of an exec, as Docker reports it (exit 126 or 127 with
 * "OCI runtime exec failed: ..." as its output): the command never ran. The CRI says
 * the same as an RPC error ("failed to exec in container"), which the kubelet's exec
 * prober returns as an error, not a result.
 */
const OCI_EXEC_FAILED = /^OCI runtime exec failed: .*/m;

/**
 * An exec through the runtime, as the kubelet's exec prober reads it
 * (pkg/probe/exec/exec.go Probe): stdout and stderr as written, cut at 10 KiB; exit 0
 * is success, any other exit a failure, an exec the runtime could not run an error.
 */
export async function execOutcome(
  instance: RunningContainer,
  command: string[],
  timeoutMs: number,
): Promise<ProbeOutcome & { exec?: ExecResult }> {
  let r: ExecResult;
  try {
    r = await instance.exec(command, timeoutMs, { maxOutputBytes: PROBE_OUTPUT_MAX });
  } catch (err) {
    return { result: 'error', output: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '' };
  }
  if (r.timedOut)
    return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out`, exec: r };
  const output = Buffer.from(`${r.stdout}${r.stderr}`).subarray(0, PROBE_OUTPUT_MAX).toString('utf8');
  const refused = (r.exitCode === 126 || r.exitCode === 127) && OCI_EXEC_FAILED.exec(output);
  if (refused) return { result: 'error', output: refused[0], exec: r };
  return { result: r.failed ? 'failure' : 'success', output, exec: r };
}

/** How many times an attempt that errors is made at once (prober.go maxProbeRetries). */
const MAX_PROBE_RETRIES = 3;

/**
 * One probe (prober.go runProbeWithRetries): an attempt that errors (the prober could
 * not run it) is made again, up to 3 times in all; the last outcome is the probe's.
 */
export async function runProbe(
  probe: Probe,
  c: Container,
  instance: RunningContainer,
  net: PodNetwork,
): Promise<ProbeOutcome> {
  let outcome = await attempt(probe, c, instance, net);
  for (let i = 1; i < MAX_PROBE_RETRIES && outcome.result === 'error'; i++)
    outcome = await attempt(probe, c, instance, net);
  return outcome;
}

/**
 * One attempt, bounded by the probe's timeout: an exec probe whose command outlives it
 * is a failure and is not waited for.
 */
async function attempt(probe: Probe, c: Container, instance: RunningContainer, net: PodNetwork): Promise<ProbeOutcome> {
  const timeoutS = probe.timeoutSeconds || 1;
  if (probe.exec) {
    const command = (probe.exec.command ?? []).map((a) => expand(a, staticEnv(c)));
    const { result, output } = await execOutcome(instance, command, timeoutS * 1000);
    return { result, output };
  }
  let args: string[];
  try {
    if (probe.httpGet) args = httpArgs(probe.httpGet, c, net, timeoutS, `kube-probe/${KUBE_VERSION}`);
    else if (probe.tcpSocket)
      args = ['tcp', probe.tcpSocket.host || net.podIP, String(probePort(probe.tcpSocket.port, c)), String(timeoutS)];
    else if (probe.grpc)
      args = [
        'grpc',
        net.podIP,
        String(probe.grpc.port),
        probe.grpc.service ?? '',
        String(timeoutS),
        `kube-probe/${KUBE_VERSION}`,
      ];
    else return { result: 'failure', output: 'unknown probe handler' };
  } catch (err) {
    if (err instanceof UnresolvedPort) return { result: 'error', output: err.message };
    throw err;
  }
  const r = await net.probe(args, timeoutS * 1000);
  return { result: r.result, output: r.output };
}
