/**
 * One vocabulary for required and not-required checks in every format: a failed check
 * the policy does not require is a warning, counted apart from failures.
 */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../harness/report/html.js';
import { renderJunit } from '../../harness/report/junit.js';
import { renderMarkdown } from '../../harness/report/markdown.js';
import { countTotals, type Report, type ReportResult } from '../../harness/report/model.js';
import { renderSarif } from '../../harness/report/sarif.js';
import { assertReport } from '../../harness/report/validate.js';
import { gateJudgement } from '../../harness/certify/gate.js';
import { defaultPolicy } from '../../harness/certify/policy.js';
import type { Observation } from '../../harness/checks/observation.js';
import { exitCodeCheck } from '../../harness/checks/exit-code.js';
import { reportedFigures } from '../../harness/report/build.js';

const result = (check: string, verdict: ReportResult['verdict'], required: boolean): ReportResult => ({
  subject: 'my/api:1',
  variant: null,
  program: null,
  check,
  scenario: null,
  did: `ran ${check}`,
  verdict,
  reason: `${check} ${verdict}`,
  expected: null,
  observed: {},
  evidence: {},
  durationMs: 100,
  required,
  expectation: `${check} as the policy asks`,
});

function certifyReport(): Report {
  const results = [
    result('graceful-stop', 'fail', true),
    result('pid1', 'fail', false),
    result('zombie-reaping', 'pass', true),
  ];
  return {
    schemaVersion: 1,
    kind: 'certify',
    engine: { kind: 'docker', version: '20.10.24', apiVersion: '1.41', endpoint: 'unix:///x', cgroupVersion: '1' },
    startedAt: '2026-12-05T10:00:00.000Z',
    finishedAt: '2026-12-05T10:00:10.000Z',
    graceSeconds: 2,
    concurrency: 4,
    totals: countTotals(results),
    results,
    image: 'my/api:1',
    images: [{ image: 'my/api:1', verdict: 'fail', summary: 'FAILS the policy: graceful-stop' }],
    policy: {},
    passed: false,
  };
}

describe('required and not-required checks', () => {
  it('the totals count a not-required failure as a warning, apart from failures', () => {
    const r = certifyReport();
    expect(r.totals).toEqual({ pass: 1, fail: 1, error: 0, skip: 0, warning: 1 });
    expect(() => assertReport(JSON.parse(JSON.stringify(r)), 'r')).not.toThrow();
  });

  it('Markdown: one failure (with the expectation), one warning in its own section', () => {
    const md = renderMarkdown(certifyReport());
    expect(md).toContain('3 results: 1 pass, 1 fail, 1 warning, 0 error, 0 skip');
    expect(md).toMatch(/#### Failures \(1\)\n\n- ❌ \*\*my/);
    expect(md).toContain('(expected: graceful-stop as the policy asks)');
    expect(md).toMatch(/#### Warnings: failed checks the policy does not require \(1\)\n\n- 🔸 /);
  });

  it('JUnit: a warning is no failure; SARIF: a warning is level warning', () => {
    expect(renderJunit(certifyReport())).toMatch(/failures="1"/);
    const sarif = JSON.parse(renderSarif(certifyReport())) as {
      runs: { results: { ruleId: string; level: string }[] }[];
    };
    const levels = Object.fromEntries((sarif.runs[0]?.results ?? []).map((x) => [x.ruleId, x.level]));
    expect(levels).toEqual({ 'graceful-stop': 'error', pid1: 'warning' });
  });

  it('HTML opens on the verdict, the failed checks with their reasons and expectations, evidence a click away', () => {
    const html = renderHtml(certifyReport());
    const verdict = html.indexOf('<section id="verdict">');
    expect(verdict).toBeGreaterThan(0);
    expect(verdict).toBeLessThan(html.indexOf('<h2>Matrix</h2>'));
    expect(html).toMatch(
      /<h3>Failed \(1\)<\/h3><ul><li><b>graceful-stop<\/b>: graceful-stop fail<br><span class="legend">expected: graceful-stop as the policy asks<\/span> <a href="#ev-c\d+">evidence<\/a><\/li><\/ul>/,
    );
    expect(html).toContain('<h3>Warnings: failed checks the policy does not require (1)</h3>');
  });

  it('no cell reads null: an exit code never seen is "no exit"', () => {
    const r = certifyReport();
    const observed = { exitCode: null, stopSignal: 'SIGTERM' };
    r.results.push({
      ...result('exit-code', 'fail', true),
      observed,
      ...reportedFigures(exitCodeCheck, { verdict: 'fail', observed, scenario: null }),
    });
    expect(renderMarkdown(r)).toMatch(/❌ no exit/);
    expect(renderHtml(r)).not.toMatch(/>null</);
  });

  it('HTML: the warning chip and a warning cell', () => {
    const html = renderHtml(certifyReport());
    expect(html).toContain('<span class="chip v-warning">1 warning</span>');
    expect(html).toMatch(/<td class="cell v-warning" data-subject="my\/api:1" data-check="pid1"/);
  });
});

describe('an image that could not be certified', () => {
  function uncertified(): Report {
    const r = certifyReport();
    r.results = [];
    r.totals = countTotals([]);
    r.image = 'no/such:1';
    r.images = [
      {
        image: 'no/such:1',
        verdict: 'cannot-certify',
        summary: 'cannot be certified: image no/such:1 is neither local nor pullable',
      },
    ];
    return r;
  }

  it('JUnit: an error testcase with the reason, also with no result', () => {
    const xml = renderJunit(uncertified());
    expect(xml).toMatch(/<testsuites name="harness certify" tests="1" failures="0" errors="1"/);
    expect(xml).toContain(
      '<testcase classname="no/such:1" name="certification" time="0.000">\n      <error message="could not be certified: image no/such:1 is neither local nor pullable" type="CannotCertify">',
    );
  });

  it('SARIF: a failed invocation whose error notification gives the reason', () => {
    const sarif = JSON.parse(renderSarif(uncertified())) as {
      runs: {
        results: unknown[];
        invocations: {
          executionSuccessful: boolean;
          toolExecutionNotifications: { level: string; message: { text: string } }[];
        }[];
      }[];
    };
    const run = sarif.runs[0];
    expect(run?.results).toEqual([]);
    expect(run?.invocations[0]?.executionSuccessful).toBe(false);
    expect(run?.invocations[0]?.toolExecutionNotifications.map((n) => [n.level, n.message.text])).toEqual([
      ['error', 'no/such:1: could not be certified: image no/such:1 is neither local nor pullable'],
    ]);
  });

  it('Markdown and HTML say so, never "fails the policy", with no empty table', () => {
    const md = renderMarkdown(uncertified());
    expect(md).toMatch(/could not be certified: image no\/such:1 is neither local nor pullable/);
    expect(md).not.toMatch(/fails the policy|\|---\|\||Failures/i);
    expect(renderHtml(uncertified())).toContain('COULD NOT BE CERTIFIED');
  });
});

describe('the grace period a header says', () => {
  it('is the one asked for, and the one used where a busy engine had a stop get a longer one', () => {
    const r = certifyReport();
    expect(renderMarkdown(r)).toContain('· grace 2 s ·');
    r.results[0] = { ...(r.results[0] as ReportResult), evidence: { timings: { graceMs: 7000 } } };
    r.results[2] = { ...(r.results[2] as ReportResult), evidence: { timings: { graceMs: 5000 } } };
    expect(renderMarkdown(r)).toContain('· grace 2 s \\(5-7 s for 2 stops: the engine was too busy to judge 2 s\\) ·');
    expect(renderHtml(r)).toContain('grace <b>2 s (5-7 s for 2 stops: the engine was too busy to judge 2 s)</b>');
  });
});

describe('a check that did not apply (skip)', () => {
  const skipped: Observation<object> = {
    check: 'graceful-stop',
    subject: 'my/api:1',
    scenario: null,
    did: 'nothing',
    verdict: 'skip',
    reason: 'no ready port to watch',
    observed: {},
    evidence: {},
    durationMs: 0,
  };

  it('stays a skip when the policy does not require it', () => {
    const o = gateJudgement(skipped, { ...defaultPolicy(), required: [] });
    expect(o.verdict).toBe('skip');
    expect(o).toMatchObject({ required: false });
  });

  it('is an error when the policy requires it: the image cannot be certified on it', () => {
    const o = gateJudgement(skipped, { ...defaultPolicy(), required: ['graceful-stop'] });
    expect(o.verdict).toBe('error');
    expect(o.reason).toBe('no ready port to watch (the policy requires this check)');
  });
});
