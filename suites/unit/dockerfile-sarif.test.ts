import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  crossCheck,
  predict,
  proposeFix,
  readDockerfile,
  unifiedDiff,
  type ProposedFix,
} from '../../harness/certify/dockerfile.js';
import { execa } from 'execa';
import { BadInputError } from '../../harness/errors.js';
import { renderSarif } from '../../harness/report/sarif.js';
import { parseFormats } from '../../harness/report/write.js';
import { fixtureReport } from '../support/fixture-report.js';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-dockerfile-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

const byCheck = (dir: string) =>
  Object.fromEntries(predict(readDockerfile(join(dir, 'Dockerfile'))).map((p) => [p.check, p]));

describe('the Dockerfile cross-check', () => {
  it('a shell-form CMD: a shell is PID 1, signals predicted lost, at the CMD line of the final stage', () => {
    const dir = project({
      Dockerfile:
        'FROM builder AS build\nCMD ["ignored"]\n\nFROM base\nCOPY app.py /app/\nCMD python3 /app/app.py --port 80\n',
    });
    const p = byCheck(dir);
    expect(p['graceful-stop']).toMatchObject({ predicted: 'fail', line: 6 });
    expect(p['signal-forwarding']?.why).toMatch(/CMD in shell form: a shell is PID 1/);
    expect(p.pid1).toMatchObject({ predicted: 'fail' });
    const fix = proposeFix(
      readDockerfile(join(dir, 'Dockerfile')),
      new Set(['graceful-stop']),
      dir,
      '/usr/bin/tini',
    ) as ProposedFix;
    // The whole fix is in the Dockerfile: an init the image holds, and the program in exec form.
    expect(fix.dockerfile.split('\n').slice(5, 7)).toEqual([
      'ENTRYPOINT ["/usr/bin/tini", "-g", "--"]',
      'CMD ["python3", "/app/app.py", "--port", "80"]',
    ]);
    expect(fix.diff).toContain(
      '-CMD python3 /app/app.py --port 80\n+ENTRYPOINT ["/usr/bin/tini", "-g", "--"]\n+CMD ["python3", "/app/app.py", "--port", "80"]',
    );
    expect(fix).not.toHaveProperty('runWithInit');
  });

  it('with no init in the image, no partial fix: it says so', () => {
    const dir = project({ Dockerfile: 'FROM base\nCMD python3 /app/app.py\n' });
    const none = proposeFix(readDockerfile(join(dir, 'Dockerfile')), new Set(['graceful-stop']), dir, null);
    expect(none).toEqual({ none: expect.stringMatching(/^no fix known from what the image holds: it has no init/) });
  });

  it('a program as PID 1 that leaves zombies: the init goes in front of its exec-form start', () => {
    const cmd = project({ Dockerfile: 'FROM base\nCMD ["server", "--port", "80"]\n' });
    const a = proposeFix(
      readDockerfile(join(cmd, 'Dockerfile')),
      new Set(['zombie-reaping']),
      cmd,
      '/usr/bin/dumb-init',
    );
    expect((a as ProposedFix).dockerfile).toBe(
      'FROM base\nENTRYPOINT ["/usr/bin/dumb-init", "--"]\nCMD ["server", "--port", "80"]\n',
    );
    const ep = project({ Dockerfile: 'FROM base\nENTRYPOINT ["server"]\nCMD ["--port", "80"]\n' });
    const b = proposeFix(readDockerfile(join(ep, 'Dockerfile')), new Set(['zombie-reaping']), ep, '/usr/bin/tini');
    expect((b as ProposedFix).dockerfile).toContain(
      'ENTRYPOINT ["/usr/bin/tini", "-g", "--", "server"]\nCMD ["--port", "80"]',
    );
  });

  it('a shell-form command that needs a shell is kept in one, with exec', () => {
    const dir = project({ Dockerfile: 'FROM base\nCMD cd /srv && ./server\n' });
    const fix = proposeFix(readDockerfile(join(dir, 'Dockerfile')), new Set(['graceful-stop']), dir, '/usr/bin/tini');
    // tini -g signals the whole group: the shell left in between cannot swallow the signal.
    expect((fix as ProposedFix).dockerfile).toContain(
      'ENTRYPOINT ["/usr/bin/tini", "-g", "--"]\nCMD ["/bin/sh", "-c", "cd /srv && ./server"]',
    );
  });

  it('an entrypoint script without exec: the line that starts the program gets exec', () => {
    const dir = project({
      Dockerfile: 'FROM base\nCOPY docker/entrypoint.sh /usr/local/bin/\nENTRYPOINT ["/usr/local/bin/entrypoint.sh"]\n',
      'docker/entrypoint.sh': '#!/bin/sh\nset -e\nmigrate\n/usr/bin/server "$@"\necho done\n',
    });
    const facts = readDockerfile(join(dir, 'Dockerfile'));
    expect(facts.pid1.kind).toBe('script');
    expect(facts.script).toMatchObject({ file: 'docker/entrypoint.sh', execsLast: false, lastLine: 4 });
    expect(byCheck(dir)['graceful-stop']).toMatchObject({ predicted: 'fail', line: 3 });
    const fix = proposeFix(facts, new Set(['exit-code']), dir, '/usr/bin/tini') as ProposedFix;
    expect(fix.files['docker/entrypoint.sh']).toContain('\nexec /usr/bin/server "$@"\n');
    expect(fix.dockerfile).toContain('ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/usr/local/bin/entrypoint.sh"]');
    expect(fix.diff).toContain('+exec /usr/bin/server "$@"');
  });

  it('an init in front: signals and reaping predicted to pass; exec form alone cannot tell', () => {
    const tini = project({
      Dockerfile: 'FROM base\nENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["server"]\nSTOPSIGNAL SIGINT\n',
    });
    expect(byCheck(tini)['zombie-reaping']?.predicted).toBe('pass');
    expect(byCheck(tini)['graceful-stop']?.why).toMatch(/tini is PID 1.*STOPSIGNAL SIGINT, line 4/);
    const exec = project({ Dockerfile: 'FROM base\nCMD ["server"]\n' });
    expect(byCheck(exec)['graceful-stop']?.predicted).toBe('unknown');
    expect(byCheck(exec)['zombie-reaping']?.predicted).toBe('fail');
  });

  it('says when the Dockerfile looks fine but the runtime disagrees, and the other way round', () => {
    const dir = project({ Dockerfile: 'FROM base\nENTRYPOINT ["tini", "--", "server"]\n' });
    const cc = crossCheck(
      predict(readDockerfile(join(dir, 'Dockerfile'))),
      new Map([
        ['graceful-stop', 'fail'],
        ['zombie-reaping', 'pass'],
        ['pid1', 'error'],
      ]),
    );
    const of = (c: string) => cc.find((x) => x.check === c);
    expect(of('graceful-stop')).toMatchObject({
      agreement: 'runtime-disagrees',
      says: 'the Dockerfile looks fine but the runtime disagrees',
    });
    expect(of('zombie-reaping')?.agreement).toBe('agree');
    expect(of('pid1')?.agreement).toBe('not-run');
  });

  it('a missing file or one with no FROM is a one-line bad-input error', () => {
    expect(() => readDockerfile('/nonexistent/Dockerfile')).toThrow(
      /cannot read Dockerfile \/nonexistent\/Dockerfile: ENOENT/,
    );
    const dir = project({ Dockerfile: 'hello\n' });
    expect(() => readDockerfile(join(dir, 'Dockerfile'))).toThrow(BadInputError);
  });
});

describe('SARIF', () => {
  const schema = JSON.parse(
    readFileSync(
      createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'),
      'utf8',
    ),
  ) as object;
  // The schema is draft-04 (ajv-draft-04); one of its patterns is not valid with the u flag.
  type Validator = ((data: unknown) => boolean) & { errors?: unknown[] | null };
  const Ajv04 = createRequire(import.meta.url)('ajv-draft-04') as new (o: object) => { compile(s: object): Validator };
  const validate = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);

  it('validates against the SARIF 2.1.0 schema: a rule per check, a result per failure at the Dockerfile line', () => {
    const report = fixtureReport();
    const failed = report.results.find((r) => r.verdict === 'fail');
    expect(failed, 'the fixture has a failed cell').toBeDefined();
    report.images = [
      {
        image: failed?.subject as string,
        verdict: 'fail',
        summary: 'FAILS',
        dockerfile: {
          path: join(process.cwd(), 'images/variants/shell-form/Dockerfile'),
          pid1: 'shell /bin/sh -c',
          checks: [
            {
              check: failed?.check as string,
              predicted: 'fail',
              why: 'shell form',
              line: 6,
              observed: 'fail',
              agreement: 'agree',
              says: 'agrees',
            },
          ],
        },
      },
    ];
    const sarif = JSON.parse(renderSarif(report, process.cwd())) as {
      runs: { tool: { driver: { rules: { id: string; helpUri: string }[] } }; results: Record<string, unknown>[] }[];
    };
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run = sarif.runs[0];
    expect(run?.tool.driver.rules.map((r) => r.id)).toContain('graceful-stop');
    expect(run?.tool.driver.rules[0]?.helpUri).toMatch(/docs\/battery\.md#the-battery$/);
    const failures = report.results.filter((r) => r.verdict === 'fail' || r.verdict === 'error');
    expect(run?.results).toHaveLength(failures.length);
    expect(run?.results[0]).toMatchObject({
      ruleId: failed?.check,
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'images/variants/shell-form/Dockerfile' },
            region: { startLine: 6 },
          },
        },
      ],
    });
  });

  it('without a Dockerfile a result points at the image', () => {
    const sarif = JSON.parse(renderSarif(fixtureReport())) as { runs: { results: { locations: unknown[] }[] }[] };
    expect(validate(sarif)).toBe(true);
    expect(sarif.runs[0]?.results[0]?.locations[0]).toMatchObject({ logicalLocations: [{ kind: 'resource' }] });
  });

  it('an empty --format is a one-line error, not a run that writes nothing', () => {
    expect(() => parseFormats('', 'report')).toThrow('report: --format needs at least one format');
    expect(() => parseFormats(',', 'report')).toThrow(BadInputError);
    expect(parseFormats('json,sarif', 'certify')).toEqual(['json', 'sarif']);
  });
});

describe('the diff a user is shown', () => {
  it.each([
    ['a line replaced by two', 'FROM x\nCMD python3 /app/app.py\n', 'FROM x\nENTRYPOINT ["t"]\nCMD ["python3"]\n'],
    ['no final newline', 'a\nb\nc', 'a\nB\nc'],
    ['a line added at the end', 'a\nb\n', 'a\nb\nc\n'],
    ['a final newline added', 'x\ny', 'x\ny\nz\n'],
    ['a final newline removed', 'x\ny\n', 'x\ny'],
    ['a change in the middle', '1\n2\n3\n4\n5\n6\n', '1\n2\nX\n4\n5\n6\n'],
  ])('%s: applies with git apply and gives the fixed file', async (_name, before, after) => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-diff-'));
    writeFileSync(join(dir, 'Dockerfile'), before);
    writeFileSync(join(dir, 'fix.diff'), unifiedDiff('Dockerfile', before, after));
    await execa('git', ['apply', '-p1', 'fix.diff'], { cwd: dir });
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(after);
  });
});
