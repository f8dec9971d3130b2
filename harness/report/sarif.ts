import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VERSION } from '../version.js';
import { projectRoot } from '../paths.js';
import { join } from 'node:path';
import { shownVerdict, type CertifiedImage, type Report, type ReportResult } from './model.js';

/** The document each check's rule links to: the battery's table. */
const BATTERY_DOC = ['docs', 'battery.md'];
const BATTERY_ANCHOR = 'the-battery';

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
 * SARIF 2.1.0: one rule per check (its help text and a link to the battery's document),
 * one result per failed check (an error when it failed, a warning when it could not be
 * carried out), located at the Dockerfile line when the report knows the Dockerfile,
 * else at the image. An image that could not be certified is a failed invocation with
 * an error notification giving the reason (there may be no result to carry it). Paths
 * are relative to `baseDir` (the working directory).
 */
export function renderSarif(report: Report, baseDir = process.cwd()): string {
  // The checks the report describes, and any other its results name (described by name).
  const described = report.checks ?? [];
  const checks = [
    ...described,
    ...[...new Set(report.results.map((r) => r.check))]
      .filter((name) => !described.some((c) => c.name === name))
      .map((name) => ({ name, description: name, remedy: `See the battery's description of ${name}.` })),
  ];
  const rules = checks.map((c) => ({
    id: c.name,
    name: c.name.replace(/(^|-)(\w)/g, (_m, _d, ch: string) => ch.toUpperCase()),
    shortDescription: { text: c.description },
    fullDescription: { text: c.description },
    help: { text: c.remedy },
    helpUri: `${pathToFileURL(join(projectRoot(), ...BATTERY_DOC)).href}#${BATTERY_ANCHOR}`,
    defaultConfiguration: { level: 'error' },
  }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const images = report.images ?? [];
  const results = report.results
    .filter((r) => r.verdict === 'fail' || r.verdict === 'error')
    .map((r) => ({
      ruleId: r.check,
      ruleIndex: index.get(r.check) ?? 0,
      // A failed check the policy requires is an error; one it does not require, and a
      // scenario that could not be carried out, are warnings.
      level: shownVerdict(r) === 'fail' ? 'error' : 'warning',
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
  const uncertified = images.filter((i) => i.verdict === 'cannot-certify');
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'container-lifecycle-harness', version: VERSION, rules } },
        invocations: [
          {
            executionSuccessful: report.totals.error === 0 && uncertified.length === 0,
            ...(uncertified.length
              ? {
                  toolExecutionNotifications: uncertified.map((i) => ({
                    level: 'error',
                    message: {
                      text: `${i.image}: could not be certified: ${i.summary.replace(/^cannot be certified: /, '')}`,
                    },
                    locations: [{ logicalLocations: [{ name: i.image, kind: 'resource' }] }],
                  })),
                }
              : {}),
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
