import { rowOf } from './cells.js';
import { unexpectedOf } from './cells.js';
import { escapeXml as attr, escapeXmlText as text } from '../text.js';
import { shownVerdict, type Report } from './model.js';

/**
 * JUnit XML: one testsuite per subject, one testcase per check x scenario. A testcase
 * fails when the observation differs from the subject's expected row; a result without
 * an expected row (an image being certified) fails when its verdict is fail. A scenario
 * that could not be carried out is an <error>, and so is an image that could not be
 * certified (its own testcase, with the reason, also when no scenario ran).
 */
export function renderJunit(report: Report): string {
  const uncertified = (report.images ?? []).filter((i) => i.verdict === 'cannot-certify');
  const subjects = [...new Set([...report.results.map((r) => rowOf(report, r)), ...uncertified.map((i) => i.image)])];
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  let tests = 0;
  let failures = 0;
  let errors = 0;
  const suites = subjects.map((subject) => {
    const rs = report.results.filter((r) => rowOf(report, r) === subject);
    let sf = 0;
    let se = 0;
    let ss = 0;
    const cases = rs.map((r) => {
      const name = `${r.check}${r.scenario ? ` ${r.scenario}` : ''}`;
      const body: string[] = [];
      const diff = unexpectedOf(r);
      if (r.verdict === 'error') {
        se++;
        body.push(`<error message="${attr(r.reason)}" type="ScenarioError">${text(r.did)}</error>`);
      } else if (r.verdict === 'skip') {
        ss++;
        body.push(`<skipped message="${attr(r.reason)}"/>`);
      } else if (r.expected ? diff.length > 0 : shownVerdict(r) === 'fail') {
        sf++;
        const message = r.expected ? `differs from the expected row: ${diff.join('; ')}` : r.reason;
        body.push(
          `<failure message="${attr(message)}" type="${r.expected ? 'UnexpectedBehaviour' : 'PolicyViolation'}">expected: ${text(JSON.stringify(r.expected ?? {}))}\nobserved: ${text(JSON.stringify(r.observed))}\n${text(r.reason)}</failure>`,
        );
      }
      const logs = (r.evidence.logs ?? []).map((l) => `[${l.stream}] ${l.text}`).join('\n');
      body.push(
        `<system-out>${text(`${r.did}\nverdict: ${shownVerdict(r)}: ${r.reason}${logs ? `\n${logs}` : ''}`)}</system-out>`,
      );
      return `    <testcase classname="${attr(subject)}" name="${attr(name)}" time="${seconds(r.durationMs)}">\n      ${body.join('\n      ')}\n    </testcase>`;
    });
    for (const image of uncertified.filter((i) => i.image === subject)) {
      se++;
      const why = image.summary.replace(/^cannot be certified: /, '');
      cases.push(
        `    <testcase classname="${attr(subject)}" name="certification" time="0.000">\n      <error message="${attr(`could not be certified: ${why}`)}" type="CannotCertify">${text(image.summary)}</error>\n    </testcase>`,
      );
    }
    tests += cases.length;
    failures += sf;
    errors += se;
    const time = rs.reduce((a, r) => a + r.durationMs, 0);
    return `  <testsuite name="${attr(subject)}" tests="${cases.length}" failures="${sf}" errors="${se}" skipped="${ss}" time="${seconds(time)}" timestamp="${attr(report.startedAt.replace(/Z$/, ''))}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const total = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="harness ${report.kind}" tests="${tests}" failures="${failures}" errors="${errors}" time="${total.toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
