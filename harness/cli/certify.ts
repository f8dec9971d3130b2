import { dirname, join, resolve } from 'node:path';
import { certify, resolvePolicy } from '../app/certify.js';
import { CERTIFY_CHECKS } from '../checks/battery.js';
import { DEFAULT_POLICY_FILE, loadPolicy, policyPath } from '../certify/policy.js';
import { normalizeRunOptions, parseEnvPair, type RunOptions } from '../certify/run-options.js';
import { readDockerfile } from '../certify/dockerfile.js';
import { checkImageRef } from '../certify/image-ref.js';
import { BadInputError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { outputDir } from '../paths.js';
import { folderOf } from '../safe-paths.js';
import { prepare, prepareCri } from '../prepare.js';
import type { CriRuntime } from '../runtime/cri.js';
import { parseFormats, writeReport } from '../report/write.js';
import { redactDeep } from '../secrets.js';
import { LIMITS, parse, positiveNumber, runtimeOption, type Options } from './args.js';
import { interruptHandlers } from './interrupt.js';
import { progressReporter } from './progress.js';

/** The gate's checks, one line each, from their definitions. */
function gateLines(): string {
  const width = Math.max(...CERTIFY_CHECKS.map((c) => c.name.length)) + 2;
  return CERTIFY_CHECKS.map((c) => `  ${c.name.padEnd(width)} ${c.certify?.question ?? c.description}`).join('\n');
}

export const certifyHelp = `harness certify IMAGE... [options]

Runs the battery against each IMAGE as it is (its ENTRYPOINT, CMD, USER and
STOPSIGNAL; no shell or ps needed inside it), or as the run options below configure
it, and passes or fails it under a policy:
${gateLines()}
The image first has to start and stay up (or print its ready line, or listen on its
ready port) within the policy's startup timeout. Containers run with no network
(unless --network internal), no-new-privileges, a pids and a memory limit, nothing
mounted, and are all removed afterwards.

Run options (as docker run takes them; each also a key of the policy's run section):
  --env NAME=VALUE     set a variable (repeatable); --env NAME takes it from here
  --env-file FILE      NAME=VALUE lines (# comments), as docker run --env-file
  --entrypoint CMD     replace the ENTRYPOINT ('' clears it); CMD is words or a JSON array
  --cmd CMD            replace the CMD: words ("serve --port 8080") or a JSON array
  --user USER          run as USER (name, uid or uid:gid)
  --init               run with the engine's init as PID 1 (docker run --init)
  --network MODE       none (default: no network at all) or internal (an engine
                       network with no route off the machine)
  --ready-log REGEX    ready once a log line matches
  --ready-port PORT    ready once it listens on this TCP port (read from its own
                       /proc/net/tcp: works with no network)

The Dockerfile cross-check (one IMAGE):
  --dockerfile PATH    the Dockerfile IMAGE was built from: each check's prediction from
                       it (shell-form CMD/ENTRYPOINT, an entrypoint script without exec,
                       no init, STOPSIGNAL) beside what the engine showed, with its line;
                       for a failing image, the smallest Dockerfile change that fixes it
  --context DIR        its build context (default: the Dockerfile's folder)
  --verify-fix         build the fixed Dockerfile and certify it too (shows the diff)
  --build-arg K=V      a build argument for that build (repeatable)

Options:
  --policy FILE        YAML policy (default: .harness/policy.yaml when present, else
                       ${DEFAULT_POLICY_FILE.replace(process.cwd() + '/', '')})
  --grace SECONDS      override the policy's grace period
  --runtime docker|cri what runs the image (default docker: the engine). cri: the
                       harness's containerd through the CRI, stopped as the kubelet
                       stops a container (StopContainer with the grace period: the
                       image's STOPSIGNAL, then SIGKILL), each scenario in a pod
                       sandbox of its own; started as \`harness setup --runtime cri\`
                       does when it does not run (as root)
  --concurrency N      scenarios at once (default: from the cores and the engine's start
                       latency measured at the start of the run; the report says which)
  --out DIR            report folder (default reports/certify/<image>, or
                       reports/certify/ for several images)
  --format LIST        comma-separated: json,html,md,junit,sarif (default: all but sarif)
  --json               print the report as JSON on stdout (the human lines go to stderr)

Exit 0 every image passes the policy, 1 one fails (each failed check listed with
expected vs observed and evidence), 2 bad input or environment (no engine, an image
neither local nor pullable, an image that exits or hangs before the battery can start,
an invalid policy). With several images: the worst of their codes, one report.`;

/** The flag of each run option. */
const FLAG_OF: Record<string, string> = { envFile: 'env-file', readyLog: 'ready-log', readyPort: 'ready-port' };

/**
 * The run options of the command line (unset: not given), normalized as a policy's or a
 * config's are (normalizeRunOptions): only the `--env` pairs are read here, as docker
 * reads them (NAME alone takes this process's value).
 */
function runOptionsOf(values: Record<string, string | boolean | string[] | undefined>): RunOptions {
  const env: Record<string, string> = {};
  for (const pair of (values.env as string[] | undefined) ?? []) {
    const kv = parseEnvPair(pair, 'certify: --env');
    if (kv) env[kv[0]] = kv[1];
  }
  const text = (flag: string) => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);
  return normalizeRunOptions(
    {
      env,
      envFile: text('env-file'),
      entrypoint: text('entrypoint'),
      cmd: text('cmd'),
      user: text('user'),
      init: values.init === true ? true : undefined,
      network: text('network'),
      readyLog: text('ready-log'),
      readyPort: text('ready-port'),
    },
    null,
    (key) => `certify: --${FLAG_OF[key] ?? key}`,
  );
}

/** The options `harness certify` takes (its help text names each: a unit test checks). */
export const certifyOptions = {
  policy: { type: 'string' },
  grace: { type: 'string' },
  runtime: { type: 'string' },
  concurrency: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  env: { type: 'string', multiple: true },
  'env-file': { type: 'string' },
  entrypoint: { type: 'string' },
  cmd: { type: 'string' },
  user: { type: 'string' },
  init: { type: 'boolean' },
  network: { type: 'string' },
  dockerfile: { type: 'string' },
  context: { type: 'string' },
  'verify-fix': { type: 'boolean' },
  'build-arg': { type: 'string', multiple: true },
  'ready-log': { type: 'string' },
  'ready-port': { type: 'string' },
} satisfies Options;

export async function certifyCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse('certify', argv, certifyOptions, true);
  const runtime = runtimeOption('certify', values.runtime);
  if (!positionals.length) throw new BadInputError('certify: give at least one IMAGE (see `harness certify --help`)');
  const images = [...new Set(positionals)].map((i) => checkImageRef(i, 'certify'));
  if (values.dockerfile !== undefined && images.length !== 1)
    throw new BadInputError('certify: --dockerfile goes with exactly one IMAGE (the one built from it)');
  const buildArgs: Record<string, string> = {};
  for (const a of values['build-arg'] ?? []) {
    const kv = parseEnvPair(a, 'certify: --build-arg');
    if (kv) buildArgs[kv[0]] = kv[1];
  }
  if ((values['verify-fix'] || values.context !== undefined) && values.dockerfile === undefined)
    throw new BadInputError(`certify: --${values['verify-fix'] ? 'verify-fix' : 'context'} needs --dockerfile PATH`);
  const dockerfile = values.dockerfile === undefined ? undefined : resolve(values.dockerfile);
  const contextDir = dockerfile ? resolve(values.context ?? dirname(dockerfile)) : undefined;
  // Read before any engine work: a bad path is a one-line error at once.
  if (dockerfile) readDockerfile(dockerfile, contextDir);
  const formats = parseFormats(values.format, 'certify');
  const policyFile = policyPath(values.policy);
  const base = loadPolicy(policyFile);
  const grace =
    values.grace === undefined
      ? undefined
      : positiveNumber('certify', 'grace', values.grace, base.graceSeconds, LIMITS.graceSeconds);
  const policy = resolvePolicy(base, runOptionsOf(values), grace);
  if (runtime === 'cri' && policy.run.init)
    throw new BadInputError(
      "certify: --init has no counterpart on the CRI (a kubelet runs the image's entrypoint as PID 1): drop it, or certify with --runtime docker",
    );
  const concurrencyOption =
    values.concurrency === undefined
      ? undefined
      : Math.floor(positiveNumber('certify', 'concurrency', values.concurrency, 1, LIMITS.concurrency));
  const single = images.length === 1 ? (images[0] as string) : undefined;
  const outDir = resolve(values.out ?? join(outputDir(), 'certify', ...(single ? [folderOf(single)] : [])));
  // With --json, stdout carries only the report.
  const say = values.json ? (line: string) => process.stderr.write(`${line}\n`) : out;

  const ready = await prepare(stderrLogger);
  interruptHandlers.push(() => ready.session.interrupt());
  let cri: CriRuntime | undefined;
  try {
    if (runtime === 'cri') {
      const opened = (cri = await prepareCri(ready, stderrLogger));
      interruptHandlers.unshift(() => opened.teardown());
    }
    const { report, exitCode, outcomes } = await certify(cri ? { ...ready, runtime: cri } : ready, {
      images,
      policy,
      policySource: policyFile ?? 'default',
      concurrency: concurrencyOption,
      ...(dockerfile && contextDir
        ? { dockerfile: { dockerfile, contextDir, verify: !!values['verify-fix'], buildArgs } }
        : {}),
      say,
      log: stderrLogger,
      progress: (image) => progressReporter(`certify ${image}`),
    });
    const paths = writeReport(outDir, report, formats);
    if (images.length > 1) for (const o of outcomes) say(`${o.image}: ${o.summary}`);
    say(`wrote ${paths.join(', ')}`);
    if (values.json) out(JSON.stringify(redactDeep(report), null, 2));
    // One image that cannot be certified: its error is the command's (one line, with detail).
    const only = outcomes[0];
    if (single && only && only.code === 2 && only.error) throw only.error;
    return exitCode;
  } finally {
    try {
      await cri?.teardown();
    } finally {
      await ready.session.teardown();
    }
  }
}
