import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHECKS } from '../checks/battery.js';
import { VERSION } from '../cli/version.js';
import { projectRoot } from '../paths.js';
import { join } from 'node:path';
import type { CertifiedImage, Report, ReportResult } from './model.js';

/** The README section each check's rule links to (its anchor in the battery table). */
const README_SECTION = 'the-battery';

/** How a failure is fixed, per check: the help text of its rule. */
const HELP: Record<string, string> = {
  pid1: 'A shell or a script as PID 1 keeps the signals the engine sends. Start the program in exec form (CMD ["prog", "arg"]), `exec` it from an entrypoint script, or put an init (tini, dumb-init, docker run --init) in front of it.',
  'signal-forwarding':
    'The program never saw the signal: a shell-form CMD or an entrypoint script without `exec` keeps it. Use the exec form, `exec "$@"`, or an init that forwards signals (tini, dumb-init).',
  'graceful-stop':
    'The container did not exit on its stop signal within the grace period, so the engine (or the kubelet) SIGKILLed it and in-flight work was lost. Make the program PID 1 (exec form) or forward signals through an init, and handle SIGTERM (or declare the STOPSIGNAL it handles).',
  'zombie-reaping':
    'Orphaned children re-parented to PID 1 were never reaped and stay as zombies. Run an init as PID 1 (tini, dumb-init, catatonit, docker run --init) or reap children in the program (waitpid on SIGCHLD).',
  'exit-code':
    "The exit code on the stop signal is not one the policy accepts: a 137 means SIGKILL after the grace period; the program's own code was lost. Handle SIGTERM and exit 0, or let an init report 128+signal.",
  'exec-probe-zombies': 'Commands run by exec probes leave zombies when PID 1 does not reap: run an init as PID 1.',
  'orphans-on-stop':
    'Long-lived grandchildren are SIGKILLed with PID 1 instead of being signalled: run an init that signals the whole group (tini -g, dumb-init) or have the program stop its children.',
  'stop-signal': 'The declared STOPSIGNAL did not reach the program: a shell or a script in front of it kept it.',
};

interface SarifLocation {
  physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number } };
  logicalLocations?: { name: string; kind: string }[];
}

/** The Dockerfile line a failed check points at, when the report carries the cross-check. */
function locate(r: ReportResult, images: CertifiedImage[], baseDir: string): SarifLocation {
  const df = images.find((i) => i.image === r.subject)?.dockerfile;
  const line = df?.checks.find((c) => c.check === r.check)?.line ?? df?.checks.find((c) => c.line)?.line ?? null;
  if (df)
    return {
      physicalLocation: {
        artifactLocation: { uri: relative(baseDir, df.path).split('\\').join('/') },
        region: { startLine: line ?? 1 },
      },
    };
  return { logicalLocations: [{ name: r.subject, kind: 'resource' }] };
}

/**
 * SARIF 2.1.0: one rule per check (its help text and a link to the README section),
 * one result per failed check (an error when it failed, a warning when it could not be
 * carried out), located at the Dockerfile line when the report knows the Dockerfile,
 * else at the image. Paths are relative to `baseDir` (the working directory).
 */
export function renderSarif(report: Report, baseDir = process.cwd()): string {
  const rules = CHECKS.map((c) => ({
    id: c.name,
    name: c.name.replace(/(^|-)(\w)/g, (_m, _d, ch: string) => ch.toUpperCase()),
    shortDescription: { text: c.description },
    fullDescription: { text: c.description },
    help: { text: HELP[c.name] ?? c.description },
    helpUri: `${pathToFileURL(join(projectRoot(), 'README.md')).href}#${README_SECTION}`,
    defaultConfiguration: { level: 'error' },
  }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const images = report.images ?? [];
  const results = report.results
    .filter((r) => r.verdict === 'fail' || r.verdict === 'error')
    .map((r) => ({
      ruleId: r.check,
      ruleIndex: index.get(r.check) ?? 0,
      level: r.verdict === 'fail' ? 'error' : 'warning',
      message: {
        text: `${r.subject}: ${r.check}${r.scenario ? ` (${r.scenario})` : ''}: ${r.verdict === 'error' ? 'could not be carried out: ' : ''}${r.reason}`,
      },
      locations: [locate(r, images, baseDir)],
      properties: {
        subject: r.subject,
        scenario: r.scenario,
        observed: r.observed,
        ...(r.expected ? { expected: r.expected } : {}),
        ...(r.engine ? { engine: r.engine } : {}),
      },
    }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'container-lifecycle-harness', version: VERSION, rules } },
        invocations: [
          {
            executionSuccessful: report.totals.error === 0,
            startTimeUtc: report.startedAt,
            endTimeUtc: report.finishedAt,
          },
        ],
        results,
        properties: { kind: report.kind, engine: `${report.engine.kind} ${report.engine.version}` },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
