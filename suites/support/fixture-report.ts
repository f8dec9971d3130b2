import type { Report, ReportResult } from '../../harness/report/model.js';

/** What a hostile image could print: markup, an ANSI colour sequence, a control byte. */
export const HOSTILE = '<script>alert(1)</script> \x1b[31mred\x1b[0m \u0001 done & "quoted"';

function result(subject: string, check: string, scenario: string | null, over: Partial<ReportResult>): ReportResult {
  const [variant, program] = subject.split('/');
  return {
    subject,
    variant: variant ?? null,
    program: program ?? null,
    check,
    scenario,
    did: `ran ${check}`,
    verdict: 'pass',
    reason: 'fine',
    expected: null,
    observed: {},
    evidence: {},
    durationMs: 1200,
    ...over,
  };
}

/** A small, schema-valid report with a hostile log line in one cell. */
export function fixtureReport(): Report {
  const results: ReportResult[] = [
    result('tini/naive', 'graceful-stop', null, {
      observed: { exitCode: 143, stopDurationMs: 15, killed: false },
      expected: { exitCode: 143, killed: false },
      evidence: {
        exitCode: 143,
        logs: [
          { stream: 'stdout', text: 'ready pid=7 mode=naive' },
          { stream: 'stderr', text: HOSTILE },
        ],
        ps: [
          { atMs: 1, processes: [{ pid: 1, ppid: 0, stat: 'Ss', comm: 'tini', args: 'tini -- python3 /app/app.py' }] },
        ],
        timings: { stopDurationMs: 15 },
      },
    }),
    result('tini/naive', 'zombie-reaping', 'injected', { observed: { zombies: 0 }, expected: { zombies: 0 } }),
    result('exec-form/naive', 'graceful-stop', null, {
      verdict: 'fail',
      reason: 'the stop signal was not acted on: SIGKILL was needed after the 2 s grace period (exit 137)',
      observed: { exitCode: 137, stopDurationMs: 2031, killed: true },
      expected: { exitCode: 137, killed: true },
      evidence: {
        exitCode: 137,
        events: [
          { action: 'kill', timeNano: 1, attributes: { signal: '15' } },
          { action: 'kill', timeNano: 2, attributes: { signal: '9' } },
        ],
      },
    }),
    result('exec-form/naive', 'zombie-reaping', 'injected', {
      verdict: 'fail',
      reason: '1 zombie(s) left',
      observed: { zombies: 1 },
      expected: { zombies: 1 },
    }),
  ];
  return {
    schemaVersion: 1,
    kind: 'matrix',
    engine: {
      kind: 'docker',
      version: '20.10.24',
      apiVersion: '1.41',
      endpoint: '/var/run/docker.sock',
      cgroupVersion: '1',
    },
    startedAt: '2026-11-26T15:00:00.000Z',
    finishedAt: '2026-11-26T15:02:40.000Z',
    graceSeconds: 2,
    concurrency: 4,
    totals: { pass: 2, fail: 2, error: 0, skip: 0 },
    results,
  };
}
