import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../harness/checks/battery.js';
import { PROGRAMS, VARIANTS } from '../../harness/images/catalogue.js';
import { parseShard, plan, shardUnits, type Unit } from '../../harness/matrix.js';
import { projectRoot } from '../../harness/paths.js';
import { catalogueSubject } from '../../harness/prepare.js';
import { diffReports, describeChange } from '../../harness/report/diff.js';
import { renderHtml } from '../../harness/report/html.js';
import { renderJunit } from '../../harness/report/junit.js';
import { renderMarkdown } from '../../harness/report/markdown.js';
import { engineDifferences, mergeReports } from '../../harness/report/merge.js';
import type { Report, ReportResult } from '../../harness/report/model.js';
import { reportErrors } from '../../harness/report/validate.js';
import { fixtureReport } from '../support/fixture-report.js';
import { expectedRow } from '../../harness/checks/expected.js';
import { mismatches } from '../../harness/images/expected-row.js';

const subjects = VARIANTS.flatMap((v) => PROGRAMS.map((p) => catalogueSubject(v, p, `harness/sample-${v.name}:x`)));
const units = plan(subjects, CHECKS);

function resultOf(u: Unit, over: Partial<ReportResult> = {}): ReportResult {
  return {
    subject: u.subject.name,
    variant: u.subject.variant ?? null,
    program: u.subject.program ?? null,
    check: u.check.name,
    scenario: u.scenario,
    did: 'ran',
    verdict: 'pass',
    reason: 'fine',
    expected: null,
    observed: { exitCode: 0, stopDurationMs: 10, killed: false },
    evidence: {},
    durationMs: 5,
    ...over,
  };
}

function reportOf(results: ReportResult[], over: Partial<Report> = {}): Report {
  const base = fixtureReport();
  const totals = { pass: 0, fail: 0, error: 0, skip: 0 };
  for (const r of results) totals[r.verdict]++;
  return { ...base, results, totals, ...over };
}

describe('matrix --shard I/N', () => {
  it('deals every scenario to exactly one shard, slow ones spread evenly', () => {
    for (const total of [1, 2, 3, 7]) {
      const shards = Array.from({ length: total }, (_, i) => shardUnits(units, { index: i + 1, total }));
      expect(shards.flat()).toHaveLength(units.length);
      expect(new Set(shards.flat())).toEqual(new Set(units));
      const slow = shards.map((s) => s.filter((u) => u.check.slow).length);
      const fast = shards.map((s) => s.length - (slow[shards.indexOf(s)] ?? 0));
      expect(Math.max(...slow) - Math.min(...slow)).toBeLessThanOrEqual(1);
      expect(Math.max(...fast) - Math.min(...fast)).toBeLessThanOrEqual(1);
    }
  });

  it('deals the same way in another process: each CI job plans its shard on its own', async () => {
    const names = (us: Unit[]) => us.map((u) => `${u.subject.name} ${u.check.name} ${u.scenario ?? '-'}`);
    const dist = (path: string) => JSON.stringify(pathToFileURL(join(projectRoot(), 'dist', 'harness', path)).href);
    const script = `
      const { plan, shardUnits } = await import(${dist('matrix.js')});
      const { CHECKS } = await import(${dist('checks/battery.js')});
      const { PROGRAMS, VARIANTS } = await import(${dist('images/catalogue.js')});
      const { catalogueSubject } = await import(${dist('prepare.js')});
      const subjects = VARIANTS.flatMap((v) => PROGRAMS.map((p) => catalogueSubject(v, p, 'harness/sample-' + v.name + ':x')));
      const units = plan(subjects, CHECKS);
      const shards = [1, 2, 3].map((index) => shardUnits(units, { index, total: 3 }));
      console.log(JSON.stringify(shards.map((s) => s.map((u) => u.subject.name + ' ' + u.check.name + ' ' + (u.scenario ?? '-')))));
    `;
    const other = await execa('node', ['--input-type=module', '-e', script]);
    const here = [1, 2, 3].map((index) => names(shardUnits(units, { index, total: 3 })));
    expect(JSON.parse(other.stdout)).toEqual(here);
  });

  it('refuses a malformed shard in one line', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, total: 3 });
    for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '1/2/3'])
      expect(() => parseShard(bad)).toThrow(/^matrix: --shard must be I\/N with 1 <= I <= N \(e.g. 2\/3\), got/);
  });
});

describe('report --merge', () => {
  const whole = units.map((u, i) => resultOf(u, { durationMs: i }));
  const shardReport = (index: number, total: number) => {
    const mine = new Set(shardUnits(units, { index, total }));
    return reportOf(
      whole.filter((_, i) => mine.has(units[i] as Unit)),
      { shard: { index, total } },
    );
  };

  it('joins shards into the results of one unsharded run, in its order, whatever the order of the files', () => {
    const merged = mergeReports([3, 1, 2].map((i) => ({ file: `s${i}.json`, report: shardReport(i, 3) })));
    expect(merged.results).toEqual(whole);
    expect(merged.totals.pass).toBe(whole.length);
    expect(merged.shard).toBeUndefined();
    expect(merged.engines).toBeUndefined();
    expect(merged.mergedFrom?.map((m) => m.shard?.index)).toEqual([3, 1, 2]);
    expect(reportErrors(merged)).toEqual([]);
  });

  it('stays incomplete when one shard is, and says so in every format', () => {
    const cut = shardReport(2, 2);
    const ran = cut.results.slice(0, 3);
    const partial = reportOf(ran, {
      shard: { index: 2, total: 2 },
      incomplete: {
        reason: 'the docker engine at unix:///x stopped answering during the run',
        planned: cut.results.length,
        ran: 3,
      },
    });
    const merged = mergeReports([
      { file: 'a.json', report: shardReport(1, 2) },
      { file: 'b.json', report: partial },
    ]);
    const first = shardReport(1, 2).results.length;
    expect(merged.incomplete).toEqual({
      reason: 'b.json: the docker engine at unix:///x stopped answering during the run',
      planned: first + cut.results.length,
      ran: first + 3,
    });
    expect(reportErrors(merged)).toEqual([]);
    expect(renderMarkdown(merged)).toContain(
      `**Incomplete**: b.json: the docker engine at unix:///x stopped answering during the run; ${first + 3} of ${first + cut.results.length} scenarios ran.`,
    );
    expect(renderHtml(merged)).toContain('<p class="incomplete"><b>Incomplete:</b> b.json: the docker engine');
    const whole2 = mergeReports([1, 2].map((i) => ({ file: `s${i}.json`, report: shardReport(i, 2) })));
    expect(whole2.incomplete).toBeUndefined();
  });

  it('refuses overlapping shards, different grace periods and mixed report kinds, naming the files', () => {
    const a = shardReport(1, 2);
    expect(() =>
      mergeReports([
        { file: 'a.json', report: a },
        { file: 'b.json', report: a },
      ]),
    ).toThrow(/is in both a\.json and b\.json \(overlapping shards\?\)/);
    expect(() =>
      mergeReports([
        { file: 'a.json', report: a },
        { file: 'b.json', report: { ...shardReport(2, 2), graceSeconds: 5 } },
      ]),
    ).toThrow(/different grace periods \(2, 5 s\)/);
    expect(() =>
      mergeReports([
        { file: 'a.json', report: a },
        { file: 'b.json', report: { ...shardReport(2, 2), kind: 'certify' } },
      ]),
    ).toThrow(/cannot merge matrix and certify reports/);
  });

  describe('across engines', () => {
    const docker = reportOf(whole.slice(0, 40));
    const differing = whole[3] as ReportResult;
    const podmanResults = whole.slice(0, 40).map((r) =>
      r === differing
        ? {
            ...r,
            verdict: 'fail' as const,
            observed: { exitCode: 137, stopDurationMs: 2040, killed: true },
            expected: { killed: true, engineNote: 'Podman sends SIGKILL after its own grace' },
          }
        : // Timings differ everywhere, a little: never a difference by themselves.
          { ...r, observed: { ...r.observed, stopDurationMs: 900 } },
    );
    const podman = reportOf(podmanResults, {
      engine: {
        kind: 'podman',
        version: '4.3.1',
        apiVersion: '1.41',
        endpoint: 'unix:///run/podman/podman.sock',
        cgroupVersion: '1',
      },
    });
    const merged = mergeReports([
      { file: 'docker.json', report: docker },
      { file: 'podman.json', report: podman },
    ]);

    it('keeps every result tagged with its engine, next to the same cell on the other engine', () => {
      expect(merged.engines?.map((e) => e.kind)).toEqual(['docker', 'podman']);
      expect(merged.results).toHaveLength(80);
      expect(merged.results.slice(0, 2).map((r) => r.engine)).toEqual(['docker', 'podman']);
      expect(reportErrors(merged)).toEqual([]);
    });

    it("lists exactly the cells that differ, with the expected row's reason", () => {
      expect(engineDifferences(merged)).toEqual([
        {
          subject: differing.subject,
          check: differing.check,
          scenario: differing.scenario,
          by: {
            docker: { verdict: 'pass', figure: expect.any(String) },
            podman: { verdict: 'fail', figure: expect.any(String) },
          },
          note: 'Podman sends SIGKILL after its own grace',
        },
      ]);
    });

    it('renders an engine dimension and the difference table in HTML, Markdown and JUnit', () => {
      const md = renderMarkdown(merged);
      expect(md).toContain('docker 20.10.24, podman 4.3.1');
      expect(md).toContain('#### docker vs podman: cells that differ (1)');
      expect(md).toContain(`| ${differing.subject.replace('/', '/')} · docker |`);
      const html = renderHtml(merged);
      expect(html).toContain('<table id="engine-differences">');
      expect(html).toContain('Podman sends SIGKILL after its own grace');
      expect(renderJunit(merged)).toContain(`<testsuite name="${differing.subject} · podman"`);
    });

    it('diffs against a single-engine baseline per engine', () => {
      const changes = diffReports(docker, merged);
      expect(changes.filter((c) => c.kind === 'added')).toHaveLength(40);
      expect(changes.every((c) => c.engine === 'podman')).toBe(true);
      expect(describeChange(changes[0] as never)).toMatch(/ on podman: absent -> /);
    });
  });

  it('from the command line: writes the merged report and says what it joined', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-merge-'));
    const files = [1, 2].map((i) => {
      const f = join(dir, `shard${i}.json`);
      writeFileSync(f, JSON.stringify(shardReport(i, 2)));
      return f;
    });
    const harness = (...args: string[]) =>
      execa('node', [join(projectRoot(), 'bin/harness.mjs'), ...args], { reject: false });
    const r = await harness('report', '--merge', ...files, '--out', join(dir, 'merged'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`merged 2 report(s): ${whole.length} results`);
    const merged = JSON.parse(readFileSync(join(dir, 'merged', 'report.json'), 'utf8')) as Report;
    expect(merged.results).toEqual(whole);
    const overlap = await harness('report', '--merge', files[0] as string, files[0] as string, '--out', join(dir, 'x'));
    expect(overlap.exitCode).toBe(2);
    expect(overlap.stderr.trim().split('\n')).toHaveLength(1);
    const both = await harness('report', '--input', files[0] as string, '--merge', files[1] as string);
    expect(both.stderr).toContain('--input and --merge exclude each other');
  });
});

describe('expected rows per engine', () => {
  it("follow the engine's own facts where it differs, and say why only where the row changed", () => {
    const docker = expectedRow('pid1', 'docker-init', 'naive', null, 'docker');
    const podman = expectedRow('pid1', 'docker-init', 'naive', null, 'podman');
    expect(JSON.stringify(docker)).toContain('docker-init');
    expect(docker).not.toHaveProperty('engineNote');
    expect(JSON.stringify(podman)).toContain('podman-init');
    expect(podman?.engineNote).toMatch(/catatonit/);
    expect(mismatches(podman ?? {}, { ...podman, engineNote: undefined })).toEqual([]);
    expect(expectedRow('pid1', 'exec-form', 'naive', null, 'podman')).toEqual(
      expectedRow('pid1', 'exec-form', 'naive', null, 'docker'),
    );
  });
});
