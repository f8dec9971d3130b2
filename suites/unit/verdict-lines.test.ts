import { describe, expect, it } from 'vitest';
import { verdictLines } from '../../harness/app/verdict-lines.js';
import { evidenceLine } from '../../harness/certify/evidence.js';
import type { Observation } from '../../harness/checks/observation.js';

const obs = (check: string, verdict: Observation<object>['verdict'], required: boolean, scenario?: string) =>
  ({
    check,
    scenario: scenario ?? null,
    verdict,
    required,
    reason: `${check} was ${verdict}`,
    expectation: `${check} as asked`,
    did: '',
    observed: {},
    evidence: {},
    durationMs: 1,
  }) as unknown as Observation<object>;

const failing = [
  obs('pid1', 'fail', false),
  obs('graceful-stop', 'fail', true),
  obs('exit-code', 'fail', true, 'on-stop-signal'),
  obs('zombie-reaping', 'pass', true),
];

describe('the verdict block', () => {
  it('answers first, then each failed check with its reason, expectation and what to change, then the warnings', () => {
    const lines = verdictLines({
      image: 'my/api:1',
      summary: 'FAILS the policy: graceful-stop, exit-code (on-stop-signal)',
      code: 1,
      observations: failing,
      expectation: () => 'unused',
    });
    expect(lines[0]).toBe(
      'my/api:1 FAILS the policy: graceful-stop, exit-code (on-stop-signal) [1 pass, 2 fail, 1 warning, 0 error]',
    );
    expect(lines[1]).toBe('  FAIL  graceful-stop: graceful-stop was fail');
    expect(lines[2]).toBe('        expected: graceful-stop as asked');
    expect(lines[3]).toMatch(/^ {8}to fix: The container did not exit on its stop signal/);
    expect(lines[4]).toBe('  FAIL  exit-code (on-stop-signal): exit-code was fail');
    expect(lines.at(-1)).toBe('  warn  pid1: failed, but the policy does not require it');
    // Short enough to stay on one screen with the lines around it.
    expect(lines.length).toBe(8);
  });

  it('with a Dockerfile fix, one "to fix" for the image, saying whether it was verified', () => {
    const lines = verdictLines({
      image: 'my/api:1',
      summary: 'FAILS the policy: graceful-stop',
      code: 1,
      observations: failing.slice(1, 2),
      expectation: () => 'unused',
      fix: { summary: 'ENTRYPOINT ["/usr/bin/tini", "--"] and CMD in exec form', verified: 'PASSES the policy' },
    });
    expect(lines.filter((l) => l.includes('to fix'))).toEqual([
      '  to fix: ENTRYPOINT ["/usr/bin/tini", "--"] and CMD in exec form (verified: PASSES the policy)',
    ]);
  });

  it('a pass is one line; an image that could not be certified says so', () => {
    expect(
      verdictLines({
        image: 'a:1',
        summary: 'PASSES the policy',
        code: 0,
        observations: [failing[3] as Observation<object>],
        expectation: () => '',
      }),
    ).toEqual(['a:1 PASSES the policy [1 pass, 0 fail, 0 warning, 0 error]']);
    expect(
      verdictLines({ image: 'a:1', summary: 'no ready line', code: 2, observations: [], expectation: () => '' })[0],
    ).toBe('a:1 CANNOT BE CERTIFIED: no ready line');
  });
});

describe('the evidence line', () => {
  it("names what still runs, with the image's control sequences shown as text, cut short", () => {
    const argv = `python3 \u001b]0;owned\u0007\u001b[2J${'x'.repeat(400)}`;
    const o = { ...obs('exit-code', 'fail', true), evidence: { notes: [`still running: 7 ${argv}`] } };
    const line = evidenceLine(o as unknown as Observation<object>);
    expect(line.startsWith('still running: 7 python3 ')).toBe(true);
    expect(
      [...line].filter((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f)),
    ).toEqual([]);
    expect(line.endsWith('...')).toBe(true);
    expect(line.length).toBeLessThanOrEqual(243);
  });
});
