import { describe, expect, it } from 'vitest';
import { describeChange, diffReports, hasRegression } from '../../harness/report/diff.js';
import { escapeMarkdown, sanitizeText } from '../../harness/text.js';
import { renderHtml } from '../../harness/report/html.js';
import { renderJunit } from '../../harness/report/junit.js';
import { renderMarkdown } from '../../harness/report/markdown.js';
import { reportErrors } from '../../harness/report/validate.js';
import { fixtureReport, HOSTILE, result } from '../support/fixture-report.js';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

describe('report schema', () => {
  it('accepts a well-formed report', () => {
    expect(reportErrors(fixtureReport())).toEqual([]);
  });

  it('names the offending path', () => {
    const bad = fixtureReport() as unknown as { results: { verdict: string }[]; extra?: number };
    (bad.results[1] as { verdict: string }).verdict = 'maybe';
    bad.extra = 1;
    const errors = reportErrors(bad);
    expect(errors).toContain('/results/1/verdict: must be equal to one of the allowed values');
    expect(errors).toContain('/: unknown property "extra"');
  });
});

describe('hostile container output is inert in every format', () => {
  const report = fixtureReport();

  it('HTML: escaped markup, no escape sequences, control bytes shown as text', () => {
    const html = renderHtml(report);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('\\u0001');
    expect(html).not.toContain('\x1b');
    expect(html).not.toMatch(RAW_CONTROL);
    // The only script on the page is the report's own.
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('Markdown: no raw tags, no control bytes', () => {
    const escaped = escapeMarkdown(HOSTILE);
    expect(escaped).not.toContain('<');
    expect(escaped).not.toMatch(RAW_CONTROL);
    const md = renderMarkdown({ ...report, results: report.results.map((r) => ({ ...r, reason: HOSTILE })) });
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('\x1b');
    expect(md).toContain('&lt;script&gt;alert\\(1\\)&lt;/script&gt;');
  });

  it('JUnit: only characters valid in XML 1.0, markup escaped', () => {
    const xml = renderJunit(report);
    expect(xml).not.toMatch(RAW_CONTROL);
    expect(xml).not.toContain('<script>');
    expect(xml).toContain('&lt;script&gt;');
  });

  it('sanitizeText drops ANSI sequences and shows other controls', () => {
    expect(sanitizeText('\x1b[1;31mred\x1b[0m\u0001')).toBe('red\\u0001');
  });
});

describe('JUnit', () => {
  it('has one suite per subject and one case per check x scenario, failures only where the row differs', () => {
    const report = fixtureReport();
    const drifted = {
      ...report,
      results: report.results.map((r, i) => (i === 3 ? { ...r, observed: { zombies: 0 } } : r)),
    };
    const xml = renderJunit(drifted);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('zombies: expected 1, observed 0');
    expect(xml).toMatch(/<testsuites name="harness matrix" tests="4" failures="1" errors="0"/);
  });
});

describe('baseline diff', () => {
  it('lists a worse verdict as a regression, first', () => {
    const baseline = fixtureReport();
    const current = fixtureReport();
    const tini = current.results[0];
    const exec = current.results[3];
    if (!tini || !exec) throw new Error('fixture');
    current.results[0] = result(tini.subject, tini.check, tini.scenario, {
      ...tini,
      verdict: 'fail',
      observed: { exitCode: 137, stopDurationMs: 2040, killed: true },
    });
    current.results[3] = result(exec.subject, exec.check, exec.scenario, {
      ...exec,
      verdict: 'pass',
      observed: { zombies: 0 },
    });
    const changes = diffReports(baseline, current);
    expect(changes.map((c) => c.kind)).toEqual(['regression', 'improvement']);
    expect(describeChange(changes[0] as never)).toBe(
      'regression: tini/naive graceful-stop: pass (143 in 0.01s) -> fail (137 in 2.04s KILL)',
    );
    expect(hasRegression(changes)).toBe(true);
    expect(hasRegression(diffReports(baseline, baseline))).toBe(false);
  });
});

describe('pod report', () => {
  it('renders status, timeline, events and the face-off, with container output inert', async () => {
    const { renderPodHtml } = await import('../../harness/report/pod-html.js');
    const html = renderPodHtml(
      {
        metadata: { name: 'p' },
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          podIP: '10.0.0.2',
          initContainerStatuses: [],
          containerStatuses: [
            {
              name: 'app',
              image: 'img',
              containerID: undefined,
              ready: true,
              started: true,
              restartCount: 1,
              state: { running: { startedAt: 't' } },
              lastState: {},
            },
          ],
        },
        events: [
          {
            atMs: 1200,
            type: 'Warning',
            reason: 'Unhealthy',
            container: 'app',
            message: `Liveness probe failed: ${HOSTILE}`,
            source: 'kubelet',
          },
        ],
        emulation: { engine: 'docker', backoffScale: 0.1, deleteAfterSeconds: 5, notes: ['n'] },
      },
      [
        {
          mechanism: 'init container',
          sameContainer: 'no',
          scope: 's',
          image: 'i',
          runGuarantee: 'r',
          onFailure: 'f',
          usage: 'u',
          count: 'once per pod',
          evidence: ['images/pods/x.yaml'],
        },
      ],
    );
    expect(html).toContain('id="pod-timeline"');
    expect(html).toContain('<table id="faceoff">');
    expect(html).toContain('once per pod');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(RAW_CONTROL);
  });
});
