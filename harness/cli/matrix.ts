import { join, resolve } from 'node:path';
import { checkByName, CHECKS } from '../checks/battery.js';
import { BadInputError, EngineUnavailableError } from '../errors.js';
import { mismatches } from '../images/expected-row.js';
import { PROGRAMS, VARIANTS, variantByName, type Program } from '../images/catalogue.js';
import { stderrLogger } from '../log.js';
import { parseShard, plan, runBattery, shardUnits } from '../matrix.js';
import { describeLoad, runLimiter } from '../run/load.js';
import { outputDir } from '../paths.js';
import { configPath, loadConfig } from '../config.js';
import { configSubjects } from '../prepare.js';
import { buildVariants, catalogueSubjects, measureLoad, prepare, prepareCri } from '../prepare.js';
import type { CriRuntime } from '../runtime/cri.js';
import { buildReport } from '../report/build.js';
import { parseFormats, writeReport } from '../report/write.js';
import { renderTextMatrix } from '../report/text.js';
import { LIMITS, parse, positiveNumber, runtimeOption, type Options } from './args.js';
import { FACEOFF_SCENARIOS, faceOffRows, runScenarioPods } from '../pod/faceoff.js';
import { inBackground } from '../run/pool.js';
import { interruptHandlers } from './interrupt.js';
import { progressReporter } from './progress.js';

export const matrixHelp = `harness matrix [options]

Runs the battery over the sample catalogue (each variant with the aware and the naive
program), or over the subjects of harness.config.yaml when the working directory has
one, and writes DIR/report.json, report.html, report.md and junit.xml. Every scenario
runs in its own fresh container.

Options:
  --config FILE        the subjects to run instead of the catalogue (default:
                       ./harness.config.yaml when present; see docs/config.md)
  --variant NAME       only this variant (repeatable); one of:
                       ${VARIANTS.map((v) => v.name).join(', ')}
  --program MODE       only aware or naive
  --check NAME         only this check (repeatable); one of:
                       ${CHECKS.map((c) => c.name).join(', ')}
  --grace SECONDS      grace period for stops (default 2)
  --runtime docker|cri what runs the containers (default docker: the engine); cri: the
                       harness's containerd through the CRI, as in \`harness certify\`
  --concurrency N      scenarios at once (default: from the cores and the engine's start
                       latency measured at the start of the run; the report says which)
  --out DIR            output folder (default reports/latest)
  --format LIST        comma-separated: json,html,md,junit,sarif (default: all but sarif)
  --shard I/N          run only the I-th of N deterministic shares of the scenarios
                       (the lifecycle face-off runs in shard 1); join the shards'
                       report.json files with \`harness report --merge\`
  --json               print the report as JSON on stdout (the matrix goes to stderr)
  --no-lifecycle       skip the lifecycle face-off (postStart hook vs init container vs
                       startup probe, measured from the reference pods in images/pods/)

Prints the matrix (subjects x checks, + all pass, - a fail, ! an error). Exit 0 when
every subject behaved as its expected row says, 1 when one did not (or a scenario could
not be carried out), 2 on bad input or environment, and when the engine stops answering
during the run (the report of what ran is written, marked incomplete).`;

/** The options `harness matrix` takes (its help text names each: a unit test checks). */
export const matrixOptions = {
  variant: { type: 'string', multiple: true },
  program: { type: 'string' },
  check: { type: 'string', multiple: true },
  grace: { type: 'string' },
  runtime: { type: 'string' },
  concurrency: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  'no-lifecycle': { type: 'boolean' },
  json: { type: 'boolean' },
  shard: { type: 'string' },
  config: { type: 'string' },
} satisfies Options;

export async function matrixCommand(argv: string[], print: (line: string) => void): Promise<number> {
  const { values } = parse('matrix', argv, matrixOptions);
  const runtimeName = runtimeOption('matrix', values.runtime);
  const configFile = configPath(values.config);
  const config = configFile ? loadConfig(configFile) : undefined;
  if (config && (values.variant || values.program))
    throw new BadInputError(`matrix: --variant and --program choose catalogue subjects; ${config.path} gives its own`);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  // With --json, stdout carries only the report; the matrix and the summary go to stderr.
  const out = values.json ? (line: string) => process.stderr.write(`${line}\n`) : print;
  const formats = parseFormats(values.format, 'matrix');
  const variants = (values.variant ?? VARIANTS.map((v) => v.name)).map((name) => {
    const v = variantByName(name);
    if (!v)
      throw new BadInputError(`matrix: unknown variant "${name}" (one of: ${VARIANTS.map((x) => x.name).join(', ')})`);
    return v;
  });
  if (values.program && !PROGRAMS.includes(values.program as Program)) {
    throw new BadInputError(`matrix: --program must be aware or naive, got "${values.program}"`);
  }
  const programs = values.program ? [values.program as Program] : PROGRAMS;
  const checks = (values.check ?? config?.checks ?? CHECKS.map((c) => c.name)).map((name) => {
    const c = checkByName(name);
    if (!c)
      throw new BadInputError(`matrix: unknown check "${name}" (one of: ${CHECKS.map((x) => x.name).join(', ')})`);
    return c;
  });
  // A gate check without catalogue scenarios (one that needs a ready port) has nothing to run here.
  const idle = checks.filter((c) => !c.scenarios.length);
  if (!config && idle.length === checks.length)
    throw new BadInputError(
      `matrix: ${idle.map((c) => c.name).join(', ')} ${idle.length > 1 ? 'have' : 'has'} no scenario for the sample catalogue (the gate runs ${idle.length > 1 ? 'them' : 'it'}: harness certify IMAGE)`,
    );
  const graceSeconds = positiveNumber('matrix', 'grace', values.grace, config?.graceSeconds ?? 2, LIMITS.graceSeconds);
  const concurrencyOption =
    values.concurrency === undefined
      ? undefined
      : Math.floor(positiveNumber('matrix', 'concurrency', values.concurrency, 1, LIMITS.concurrency));
  const outDir = resolve(values.out ?? join(outputDir(), 'latest'));

  const ready = await prepare(stderrLogger);
  interruptHandlers.push(() => ready.session.interrupt());
  let cri: CriRuntime | undefined;
  try {
    if (runtimeName === 'cri') {
      const opened = (cri = await prepareCri(ready, stderrLogger));
      interruptHandlers.unshift(() => opened.teardown());
    }
    const runtime = cri ?? ready.runtime;
    const load = await measureLoad(runtime, ready.toolbox.tag, concurrencyOption);
    const concurrency = load.concurrency;
    const subjects = config
      ? await configSubjects(ready.session, config, stderrLogger)
      : catalogueSubjects(
          await buildVariants(ready.session, ready.base.tag, variants, stderrLogger),
          variants,
          programs,
        );
    if (config) stderrLogger(`subjects from ${config.path}: ${subjects.map((x) => x.name).join(', ')}`);
    const all = plan(subjects, checks);
    const units = shard ? shardUnits(all, shard) : all;
    stderrLogger(
      `running ${units.length} scenarios (${shard ? `shard ${shard.index}/${shard.total} of ${all.length}: ` : ''}${subjects.length} subjects x ${checks.length} checks), ${describeLoad(load)}, grace ${graceSeconds} s`,
    );
    const progress = progressReporter('matrix');
    const startedAt = new Date();
    const { limiter, settle } = runLimiter(load, graceSeconds);
    const ctx = { runtime, toolboxImage: ready.toolbox.tag, graceSeconds, limiter };
    // The reference pods run alongside the battery: they mostly wait on probes.
    const lifecycle =
      values['no-lifecycle'] || config || (shard && shard.index !== 1)
        ? undefined
        : inBackground(runScenarioPods(ctx, FACEOFF_SCENARIOS, ready.base.tag));
    const observations = await runBattery(ctx, units, concurrency, (o, done, total) =>
      progress(done, total, `${o.subject} ${o.check}${o.scenario ? ` ${o.scenario}` : ''}: ${o.verdict}`),
    );
    const lost = runtime.lost;
    // With the engine gone the face-off has nothing to measure with: its rows are left out.
    const rows = lifecycle
      ? await lifecycle().then(faceOffRows, (err: unknown) => (lost ? undefined : Promise.reject(err)))
      : undefined;
    const report = buildReport({
      kind: 'matrix',
      engine: { ...ready.engine.info, ...(cri ? { runtime: cri.described } : {}) },
      startedAt,
      finishedAt: new Date(),
      graceSeconds,
      concurrency,
      load: settle(),
      checks: CHECKS,
      observations,
    });
    if (rows) report.lifecycle = { rows };
    if (shard) report.shard = shard;
    if (lost) report.incomplete = { reason: lost, planned: units.length, ran: observations.length };
    const paths = writeReport(outDir, report, formats);
    out(renderTextMatrix(report.results));
    if (lost)
      throw new EngineUnavailableError(
        `${lost}: ${observations.length} of ${units.length} scenarios ran; the partial report, marked incomplete, is in ${outDir}`,
      );
    // A result differs when it has an expected row and misses it; a config subject's
    // check without one is expected to pass.
    const unexpected = report.results.filter((r) =>
      r.expected ? mismatches(r.expected, r.observed).length > 0 : !!config && r.verdict === 'fail',
    );
    const { pass, fail, error } = report.totals;
    out(
      `\n${report.results.length} results: ${pass} pass, ${fail} fail, ${error} error; ${unexpected.length} differ from the expected row`,
    );
    for (const r of unexpected)
      out(
        `  ${r.subject} ${r.check}${r.scenario ? ` ${r.scenario}` : ''}: ${r.expected ? mismatches(r.expected, r.observed).join('; ') : r.reason}`,
      );
    for (const r of report.results.filter((x) => x.verdict === 'error'))
      out(`  error: ${r.subject} ${r.check}: ${r.reason}`);
    out(`wrote ${paths.join(', ')}`);
    if (values.json) print(JSON.stringify(report, null, 2));
    return unexpected.length || error ? 1 : 0;
  } finally {
    try {
      await cri?.teardown();
    } finally {
      await ready.session.teardown();
    }
  }
}
