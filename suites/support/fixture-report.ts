import { CHECKS, checkByName } from '../../harness/checks/battery.js';
import { describeChecks, reportedFigures } from '../../harness/report/build.js';
import { countTotals, type Report, type ReportResult } from '../../harness/report/model.js';

/** What a hostile image could print: markup, an ANSI colour sequence, a control byte. */
export const HOSTILE = '<script>alert(1)</script> \x1b[31mred\x1b[0m \u0001 done & "quoted"';

/**
 * A result as a run reports it, with `over` laid over the defaults; its figure and stop
 * bar are the check's own for what it observed.
 */
export function result(
  subject: string,
  check: string,
  scenario: string | null,
  over: Partial<ReportResult>,
): ReportResult {
  const [variant, program] = subject.split('/');
  const r: ReportResult = {
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
  return { ...r, ...reportedFigures(checkByName(check), r) };
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
    checks: describeChecks(CHECKS),
  };
}

/** PID 1 and its child as `ps` shows them in each variant's container. */
const PS: Record<string, { comm: string; args: string }[]> = {
  'shell-form': [
    { comm: 'sh', args: '/bin/sh -c python3 /app/app.py' },
    { comm: 'python3', args: 'python3 /app/app.py' },
  ],
  'exec-form': [{ comm: 'python3', args: 'python3 /app/app.py' }],
  tini: [
    { comm: 'tini', args: 'tini -- python3 /app/app.py' },
    { comm: 'python3', args: 'python3 /app/app.py' },
  ],
};

/**
 * A face-off report shaped as a small matrix run writes it: shell-form, exec-form and
 * tini, each running the aware and the naive program, over pid1, graceful-stop and
 * zombie-reaping, with the figures such a run measured on Docker (grace 2 s).
 */
export function faceOffFixture(): Report {
  const results: ReportResult[] = [];
  for (const variant of Object.keys(PS)) {
    for (const program of ['aware', 'naive']) {
      const subject = `${variant}/${program}`;
      const procs = (PS[variant] ?? []).map((p, i) => ({
        pid: i === 0 ? 1 : 7,
        ppid: i === 0 ? 0 : 1,
        stat: 'S',
        ...p,
      }));
      const childPid = procs.length > 1 ? 7 : 1;
      const logs = [{ stream: 'stdout' as const, text: `ready pid=${childPid} mode=${program}` }];
      const ps = [{ atMs: 120, processes: procs }];
      const init = variant === 'tini';
      results.push(
        result(subject, 'pid1', null, {
          verdict: init ? 'pass' : 'fail',
          reason: init ? 'an init (tini) is PID 1' : `${procs[0]?.comm} is PID 1`,
          observed: { pid1: procs[0]?.comm },
          expected: { pid1: procs[0]?.comm },
          evidence: { logs, ps },
        }),
      );
      // SIGTERM reaches the program unless a shell is PID 1; the naive program has no
      // handler, so as PID 1 (exec form) it ignores SIGTERM too.
      const killed = variant === 'shell-form' || (variant === 'exec-form' && program === 'naive');
      const exitCode = killed ? 137 : program === 'aware' ? 0 : 143;
      const stopDurationMs = killed ? 2040.37 : 48.5;
      results.push(
        result(subject, 'graceful-stop', null, {
          verdict: killed ? 'fail' : 'pass',
          reason: killed
            ? 'the stop signal was not acted on: SIGKILL was needed after the 2 s grace period (exit 137)'
            : `exited ${exitCode} ${stopDurationMs} ms after the stop request`,
          observed: { exitCode, stopDurationMs, killed },
          expected: { exitCode, killed },
          evidence: {
            exitCode,
            logs,
            events: [
              { action: 'kill', timeNano: 1, attributes: { signal: '15' } },
              ...(killed ? [{ action: 'kill', timeNano: 2, attributes: { signal: '9' } }] : []),
            ],
            timings: { stopDurationMs, graceMs: 2000 },
          },
        }),
      );
      const zombies = variant === 'exec-form' ? 1 : 0;
      results.push(
        result(subject, 'zombie-reaping', 'injected', {
          verdict: zombies ? 'fail' : 'pass',
          reason: zombies ? '1 zombie(s) left' : 'the orphan was reaped',
          observed: { zombies },
          expected: { zombies },
          evidence: { logs, ps },
        }),
      );
    }
  }
  const report = fixtureReport();
  return { ...report, results, totals: countTotals(results) };
}
