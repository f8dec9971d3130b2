import { join, resolve } from 'node:path';
import type { Observation } from '../checks/observation.js';
import { certifyImage, policyExpectation, resolveImage } from '../certify/gate.js';
import { DEFAULT_POLICY_FILE, loadPolicy } from '../certify/policy.js';
import { BadInputError, CertifyIncompleteError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { reportsDir } from '../paths.js';
import { measureLoad, prepare } from '../prepare.js';
import { describeLoad } from '../run/load.js';
import { buildReport } from '../report/build.js';
import { parseFormats, writeReport } from '../report/write.js';
import { parse, positiveNumber } from './args.js';
import { interruptHandlers } from './interrupt.js';
import { progressReporter } from './progress.js';

export const certifyHelp = `harness certify IMAGE [options]

Runs the battery against IMAGE exactly as it is (its ENTRYPOINT, CMD, USER and
STOPSIGNAL; no shell or ps needed inside it) and passes or fails it under a policy:
  graceful-stop      stopped with the grace period: exits on its stop signal in time?
  exit-code          the exit code on its stop signal is an accepted one?
  zombie-reaping     a static helper exec'd into it orphans a child: is it reaped?
  pid1               which program is PID 1 (a shell as PID 1 is a warning)
  signal-forwarding  does it act on SIGTERM and SIGINT?
The image first has to start and stay up (or print startup.readyLog) within the
policy's startup timeout. Containers run with no network, no-new-privileges, a pids
and a memory limit, nothing mounted, and are all removed afterwards.

Options:
  --policy FILE        YAML policy (default: ${DEFAULT_POLICY_FILE})
  --grace SECONDS      override the policy's grace period
  --concurrency N      scenarios at once (default: from the cores and the engine's start
                       latency measured at the start of the run; the report says which)
  --out DIR            report folder (default reports/certify/<image>)
  --format LIST        comma-separated: json,html,md,junit (default: all)

Exit 0 the image passes the policy, 1 it fails (each failed check listed with expected
vs observed and evidence), 2 bad input or environment (no engine, an image neither local
nor pullable, an image that exits or hangs before the battery can start, an invalid
policy).`;

function evidenceLine(o: Observation<object>): string {
  const ev = o.evidence;
  const zombies = (ev.ps ?? []).flatMap((s) => s.processes.filter((p) => p.stat.startsWith('Z')));
  const parts: string[] = [];
  if (zombies.length)
    parts.push(`ps: ${zombies.map((z) => `pid ${z.pid} (${z.comm}) stat ${z.stat} parent ${z.ppid}`).join(', ')}`);
  if (ev.events?.length)
    parts.push(`engine sent ${ev.events.map((e) => `signal ${e.attributes.signal}`).join(' then ')}`);
  if (ev.state?.exitCode !== undefined) parts.push(`engine exit code ${ev.state.exitCode}`);
  if (ev.timings?.stopDurationMs !== undefined) parts.push(`stop took ${ev.timings.stopDurationMs} ms`);
  const last = ev.logs?.at(-1);
  if (last) parts.push(`last log line: ${JSON.stringify(last.text.slice(0, 120))}`);
  return parts.join('; ');
}

export async function certifyCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse(
    'certify',
    argv,
    {
      policy: { type: 'string' },
      grace: { type: 'string' },
      concurrency: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
    },
    true,
  );
  if (positionals.length !== 1)
    throw new BadInputError('certify: give exactly one IMAGE (see `harness certify --help`)');
  const image = positionals[0] as string;
  const formats = parseFormats(values.format, 'certify');
  const policy = loadPolicy(values.policy);
  if (values.grace !== undefined) {
    policy.graceSeconds = positiveNumber('certify', 'grace', values.grace, policy.graceSeconds);
    policy.maxStopSeconds = Math.min(policy.maxStopSeconds, policy.graceSeconds);
  }
  const concurrencyOption =
    values.concurrency === undefined
      ? undefined
      : Math.floor(positiveNumber('certify', 'concurrency', values.concurrency, 1));
  const outDir = resolve(values.out ?? join(reportsDir(), 'certify', image.replace(/[^A-Za-z0-9_.-]+/g, '_')));

  const ready = await prepare(stderrLogger);
  interruptHandlers.push(() => ready.session.teardown());
  try {
    const load = await measureLoad(ready.session, ready.toolbox.tag, concurrencyOption);
    const concurrency = load.concurrency;
    const ctx = { session: ready.session, toolboxImage: ready.toolbox.tag, graceSeconds: policy.graceSeconds };
    await resolveImage(ctx, image, stderrLogger);
    stderrLogger(
      `certifying ${image} (policy ${values.policy ?? 'default'}, grace ${policy.graceSeconds} s, ${describeLoad(load)})`,
    );
    const progress = progressReporter('certify');
    const startedAt = new Date();
    const result = await certifyImage(ctx, image, policy, concurrency, (o, done, total) =>
      progress(done, total, `${o.check}${o.scenario ? ` ${o.scenario}` : ''}: ${o.verdict}`),
    );
    const report = {
      ...buildReport({
        kind: 'certify',
        engine: ready.engine.info,
        startedAt,
        finishedAt: new Date(),
        graceSeconds: policy.graceSeconds,
        concurrency,
        load,
        observations: result.observations,
      }),
      image,
      policy: { ...policy },
      passed: result.passed,
    };
    const paths = writeReport(outDir, report, formats);
    const pre = result.preflight;
    out(
      `${image}: ready after ${(pre.readyAfterMs / 1000).toFixed(1)} s; runs ${JSON.stringify(pre.command)} as ${pre.user}; stop signal ${pre.stopSignal}`,
    );
    for (const o of result.observations) {
      const label = `${o.check}${o.scenario ? ` (${o.scenario})` : ''}`;
      const mark = o.verdict === 'pass' ? 'pass ' : o.verdict === 'fail' ? 'FAIL ' : o.verdict.toUpperCase().padEnd(5);
      out(`  ${mark} ${label}: ${o.reason}`);
      if (o.verdict !== 'pass') {
        out(`        expected: ${policyExpectation(o.check, policy)}`);
        out(`        observed: ${JSON.stringify(o.observed)}`);
        const ev = evidenceLine(o);
        if (ev) out(`        evidence: ${ev}`);
      }
    }
    if (result.errors.length) {
      throw new CertifyIncompleteError(
        `could not certify ${image}: ${result.errors.length} required check(s) could not be carried out (${result.errors[0]?.reason})`,
      );
    }
    out(
      result.passed
        ? `${image} PASSES the policy`
        : `${image} FAILS the policy: ${result.failures.map((f) => `${f.check}${f.scenario ? ` (${f.scenario})` : ''}`).join(', ')}`,
    );
    out(`wrote ${paths.join(', ')}`);
    return result.passed ? 0 : 1;
  } finally {
    await ready.session.teardown();
  }
}
