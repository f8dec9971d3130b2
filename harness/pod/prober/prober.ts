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

function resolvePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  const named = (c.ports ?? []).find((p) => p.name === port);
  return named?.containerPort ?? Number(port);
}

/** net-probe's arguments for an httpGet (probe or hook): host defaults to the pod IP. */
export function httpArgs(h: HTTPGetAction, c: Container, net: PodNetwork, timeoutS: number, agent: string): string[] {
  return [
    'http',
    h.host || net.podIP,
    String(resolvePort(h.port, c)),
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

/** An exec through the engine: output as the kubelet's exec prober reports it, cut at 10 KiB. */
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
  const output = Buffer.from(`${r.stdout}${r.stderr}`).subarray(0, PROBE_OUTPUT_MAX).toString('utf8').trimEnd();
  return { result: r.failed ? 'failure' : 'success', output, exec: r };
}

/**
 * One attempt, bounded by the probe's timeout: an exec probe whose command outlives it
 * is a failure and is not waited for.
 */
export async function runProbe(
  probe: Probe,
  c: Container,
  instance: RunningContainer,
  net: PodNetwork,
): Promise<ProbeOutcome> {
  const timeoutS = probe.timeoutSeconds || 1;
  if (probe.exec) {
    const command = (probe.exec.command ?? []).map((a) => expand(a, staticEnv(c)));
    const { result, output } = await execOutcome(instance, command, timeoutS * 1000);
    return { result, output };
  }
  let args: string[];
  if (probe.httpGet) args = httpArgs(probe.httpGet, c, net, timeoutS, `kube-probe/${KUBE_VERSION}`);
  else if (probe.tcpSocket)
    args = ['tcp', probe.tcpSocket.host || net.podIP, String(resolvePort(probe.tcpSocket.port, c)), String(timeoutS)];
  else if (probe.grpc) args = ['grpc', net.podIP, String(probe.grpc.port), probe.grpc.service ?? '', String(timeoutS)];
  else return { result: 'failure', output: 'unknown probe handler' };
  const r = await net.probe(args, timeoutS * 1000);
  return { result: r.result, output: r.output };
}
