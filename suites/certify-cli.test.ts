/**
 * `harness certify`, the command, against real images: exit codes, the lines a user
 * reads, the report files, --dockerfile with --verify-fix (whose diff, applied by hand,
 * must pass). Its tests run side by side, each command with its own bound on
 * containers in flight, as a user's would. Grace 2 s.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../harness/paths.js';
import { imageOf } from './support/harness.js';

const G = 2;
const fixture = (name: string) => inject('harness').fixtures[name] as string;

describe.concurrent('harness certify (the command)', () => {
  const cli = (...args: string[]) =>
    execa('node', [join(projectRoot(), 'bin/harness.mjs'), 'certify', ...args], { reject: false, all: true });

  it('exits 0 for the tini image', async () => {
    const r = await cli(
      imageOf('tini'),
      '--grace',
      String(G),
      '--out',
      join(projectRoot(), 'reports/certify-test/tini'),
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('PASSES the policy');
  });

  it('exits 1 for shell-form and says SIGTERM was not acted on and SIGKILL was needed', async () => {
    const r = await cli(
      imageOf('shell-form'),
      '--grace',
      String(G),
      '--out',
      join(projectRoot(), 'reports/certify-test/shell-form'),
    );
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(
      /FAIL\s+graceful-stop: the stop signal was not acted on: SIGKILL was needed after the \d+ s grace period/,
    );
    expect(r.stdout).toContain('FAILS the policy: graceful-stop, exit-code');
    // A shell as PID 1 fails pid1, which the default policy does not require: a warning.
    expect(r.stdout).toMatch(/^ {2}warn {2}pid1: a shell \(\w+\) is PID 1/m);
    const report = JSON.parse(
      readFileSync(join(projectRoot(), 'reports/certify-test/shell-form/report.json'), 'utf8'),
    ) as { totals: Record<string, number>; results: { check: string; verdict: string; required?: boolean }[] };
    expect(report.results.every((x) => typeof x.required === 'boolean')).toBe(true);
    const requiredFails = report.results.filter((x) => x.verdict === 'fail' && x.required).length;
    expect(report.totals.fail).toBe(requiredFails);
    expect(report.totals.warning).toBe(report.results.filter((x) => x.verdict === 'fail' && !x.required).length);
    expect(report.totals.warning).toBeGreaterThanOrEqual(1);
  });

  it('exits 2 with one line for an image that is neither local nor pullable; its report says it could not be certified', async () => {
    const out = join(projectRoot(), 'reports/certify-test/no-such');
    const r = await cli('no/such:image', '--grace', String(G), '--format', 'md,html,junit,sarif', '--out', out);
    expect(r.exitCode).toBe(2);
    const last = r.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(/^harness: image no\/such:image is neither local nor pullable \(.+\)$/);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/could not be certified: image no\/such:image is neither local nor pullable/);
    expect(md).not.toMatch(/fails the policy|\|---\|\||Failures/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('COULD NOT BE CERTIFIED');
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(
      /<error message="could not be certified: image no\/such:image is neither local nor pullable/,
    );
    expect(readFileSync(join(out, 'report.sarif'), 'utf8')).toMatch(
      /"executionSuccessful": false,[\s\S]*could not be certified: image no\/such:image is neither local nor pullable/,
    );
  });

  it('configures the image as docker run does: a service that needs PORT passes with --env and --ready-port', async () => {
    const r = await cli(
      fixture('needs-port'),
      '--env',
      'PORT=8080',
      '--ready-port',
      '8080',
      '--grace',
      String(G),
      '--json',
      '--out',
      join(projectRoot(), 'reports/certify-test/needs-port'),
    );
    expect(r.exitCode, r.all).toBe(0);
    // --json: stdout is the report alone, the human lines went to stderr.
    const report = JSON.parse(r.stdout) as {
      passed: boolean;
      images: { verdict: string; preflight: { user: string } }[];
    };
    expect(report.passed).toBe(true);
    expect(report.images[0]?.verdict).toBe('pass');
    expect(report.images[0]?.preflight.user).toBe('1000:1000');
    expect(r.stderr).toMatch(/--env PORT --ready-port 8080/);
    expect(r.stderr).toContain('PASSES the policy');
  });

  it('several images, one report: the worst exit code, and the one that cannot start shows its last lines', async () => {
    const out = join(projectRoot(), 'reports/certify-test/several');
    const r = await cli(fixture('needs-port'), imageOf('tini'), '--grace', String(G), '--out', out);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stdout).toMatch(/needs-port\S* CANNOT BE CERTIFIED: .* exited with code 78/);
    expect(r.stdout).toContain('| fatal: PORT is not set');
    expect(r.stdout).toMatch(/sample-tini\S*: PASSES the policy/);
    const { readFileSync } = await import('node:fs');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { images: { verdict: string }[] };
    expect(report.images.map((i) => i.verdict)).toEqual(['cannot-certify', 'pass']);
  });

  it('--dockerfile: the shell-form CMD line in SARIF; --verify-fix makes it pass and shows the diff', async () => {
    const out = join(projectRoot(), 'reports/certify-test/shell-form-fix');
    const r = await cli(
      imageOf('shell-form'),
      '--dockerfile',
      join(projectRoot(), 'images/variants/shell-form/Dockerfile'),
      '--context',
      join(projectRoot(), 'images'),
      '--build-arg',
      `BASE=${inject('harness').baseImage}`,
      '--verify-fix',
      '--grace',
      String(G),
      '--format',
      'json,sarif',
      '--out',
      out,
    );
    // The image itself still fails; the fix is shown and verified beside it.
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(/ok graceful-stop: predicted fail \(line 6\), observed fail/);
    // The fix is an init the image holds (the base has tini) and the CMD in exec form:
    // all of it in the diff, nothing asked of how the image is run.
    expect(r.stdout).toContain(
      '-CMD python3 /app/app.py\n+ENTRYPOINT ["/usr/bin/tini", "-g", "--"]\n+CMD ["python3", "/app/app.py"]',
    );
    expect(r.stdout).toMatch(
      /verify-fix: harness\/verify-fix:\w+ \(the Dockerfile above, run as the original was\) PASSES the policy/,
    );
    expect(r.stdout).not.toMatch(/--init/);
    // Applied by hand as shown, rebuilt and certified with the same policy: it passes.
    const diff = r.stdout.slice(r.stdout.indexOf('--- a/Dockerfile'), r.stdout.indexOf('\nverify-fix:') + 1);
    const copy = mkdtempSync(join(tmpdir(), 'harness-fix-by-hand-'));
    cpSync(join(projectRoot(), 'images'), copy, { recursive: true });
    writeFileSync(join(copy, 'fix.diff'), diff);
    await execa('git', ['apply', '-p1', '--directory=variants/shell-form', 'fix.diff'], { cwd: copy });
    const tag = `harness-test/fixed-by-hand:${Date.now()}`;
    await execa(
      'docker',
      [
        'build',
        '-q',
        '-t',
        tag,
        '--build-arg',
        `BASE=${inject('harness').baseImage}`,
        '-f',
        'variants/shell-form/Dockerfile',
        '.',
      ],
      { cwd: copy },
    );
    try {
      const again = await cli(tag, '--grace', String(G), '--out', join(out, 'by-hand'));
      expect(again.exitCode, again.all).toBe(0);
    } finally {
      await execa('docker', ['rmi', '-f', tag], { reject: false });
    }
    const { readFileSync } = await import('node:fs');
    const sarif = JSON.parse(readFileSync(join(out, 'report.sarif'), 'utf8')) as {
      runs: { results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[];
    };
    const stop = sarif.runs[0]?.results.find((x) => x.ruleId === 'graceful-stop');
    expect(stop?.locations[0]?.physicalLocation.region.startLine).toBe(6);
  });

  it('exits 2 naming the key of an invalid policy', async () => {
    const bad = join(projectRoot(), 'reports/certify-test/bad-policy.yaml');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(projectRoot(), 'reports/certify-test'), { recursive: true });
    writeFileSync(bad, 'graceSeconds: 5\nstartup:\n  timeoutSecs: 3\n');
    const r = await cli(imageOf('tini'), '--policy', bad);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(`harness: invalid policy ${bad}: unknown key "startup.timeoutSecs"`);
  });
});
