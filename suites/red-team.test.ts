/**
 * The image under test is hostile input. Each test here is a row of docs/security.md's
 * red-team table: a real image (or input) that tries to shape its verdict, reach the
 * terminal, leak a secret or make the harness remove what is not its own, run on the
 * engine through both front doors (the command and the library).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { certifyImage, closeHarness } from '../harness/index.js';
import { projectRoot } from '../harness/paths.js';

const fixture = (name: string) => inject('harness').fixtures[name] as string;
const G = 6;
/** A value no image and no report could contain by chance. */
const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'harness-red-team-'));
const cli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [join(projectRoot(), 'bin/harness.mjs'), ...args], {
    reject: false,
    env: { HARNESS_QUIET_BUILD: '1', ...env },
  });

/** Every file a run wrote, as text. */
const filesOf = (dir: string) => readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const);
// eslint-disable-next-line no-control-regex -- raw ESC, BEL and the C1 CSI must never reach the terminal
const RAW_CONTROL = /[\x1b\x07\x9b]/;

interface ReportShape {
  policy: Record<string, unknown>;
  passed: boolean;
  images: { image: string; verdict: string; summary: string }[];
  results: {
    check: string;
    scenario: string | null;
    verdict: string;
    evidence: { ps?: { processes: { args: string }[] }[] };
  }[];
}

let cliRun: { exitCode?: number; stdout: string; stderr: string };
let cliReport: ReportShape;

beforeAll(async () => {
  const out = join(work, 'hides');
  cliRun = await cli([
    'certify',
    fixture('hides-from-observer'),
    '--grace',
    String(G),
    '--env',
    `TOKEN=${TOKEN}`,
    '--format',
    'json,html,md,junit,sarif',
    '--json',
    '--out',
    out,
  ]);
  cliReport = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportShape;
});

afterAll(async () => {
  await closeHarness();
});

describe('an image that hides from the observer', () => {
  it('HARNESS_OBSERVER=1 hides nothing: its zombie under PID 1 fails the gate (exit 1)', () => {
    expect(cliRun.exitCode, cliRun.stderr).toBe(1);
    expect(cliRun.stdout).toContain('"verdict": "fail"');
    const zombies = cliReport.results.find((r) => r.check === 'zombie-reaping');
    expect(zombies?.verdict).toBe('fail');
    expect(cliReport.images[0]?.summary).toBe('FAILS the policy: zombie-reaping (injected)');
  });

  it('a PID 1 that names itself "tini" is judged by the program it runs', () => {
    const pid1 = cliReport.results.find((r) => r.check === 'pid1') as unknown as {
      observed: { pid1: string; pid1Exe: string };
      reason: string;
    };
    expect(pid1.observed.pid1).toBe('tini');
    expect(pid1.observed.pid1Exe).toMatch(/^python3/);
    expect(pid1.reason).toMatch(/^the program itself \(python3[.\d]*\) is PID 1.*\(it calls itself "tini"\)/);
  });

  it('an 800 KB command line is cut at 4 KiB in every snapshot', () => {
    const args = cliReport.results.flatMap((r) => (r.evidence.ps ?? []).flatMap((s) => s.processes.map((p) => p.args)));
    const long = args.filter((a) => a.includes('import time; time.sleep(1e9)'));
    expect(long.length).toBeGreaterThan(0);
    for (const a of long) {
      expect(a).toMatch(/ \[\d+ bytes cut\]$/);
      expect(a.length).toBeLessThan(4200);
    }
  });
});

describe('a secret given with --env', () => {
  it('is in no report file, not on stdout or stderr; the report keeps the name only', () => {
    const out = join(work, 'hides');
    const files = filesOf(out);
    expect(files.map(([f]) => f).sort()).toEqual([
      'junit.xml',
      'report.html',
      'report.json',
      'report.md',
      'report.sarif',
    ]);
    for (const [f, text] of files) expect(text.includes(TOKEN), f).toBe(false);
    expect(cliRun.stdout.includes(TOKEN)).toBe(false);
    expect(cliRun.stderr.includes(TOKEN)).toBe(false);
    expect((cliReport.policy.run as Record<string, unknown>).envNames).toEqual(['TOKEN']);
    // The image did print it: the evidence shows the mask where the value was.
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toContain('token in my environment: ***');
  });
});

describe('terminal control sequences', () => {
  it('an image that prints them and exits at start: exit 2, its last lines shown, no raw escape byte', async () => {
    const r = await cli([
      'certify',
      fixture('prints-escapes'),
      '--grace',
      String(G),
      '--env',
      `TOKEN=${TOKEN}`,
      '--out',
      join(work, 'escapes'),
    ]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('fatal: no config');
    expect(r.stderr).toContain('token=***');
    expect(RAW_CONTROL.test(r.stderr), r.stderr).toBe(false);
    expect(RAW_CONTROL.test(r.stdout)).toBe(false);
    expect(r.stderr.includes(TOKEN)).toBe(false);
  });

  it('the hostile image above reached the terminal sanitised too', () => {
    expect(RAW_CONTROL.test(cliRun.stderr)).toBe(false);
    expect(RAW_CONTROL.test(cliRun.stdout)).toBe(false);
  });
});

describe('a fake ready line', () => {
  it('an image that says it is ready before it is gets signalled then, and fails the stop it was not ready for', async () => {
    const r = await cli([
      'certify',
      fixture('lies-ready'),
      '--grace',
      '2',
      '--ready-log',
      '^ready$',
      '--out',
      join(work, 'lies'),
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+graceful-stop: the stop signal was not acted on: SIGKILL was needed/);
    // Its own "verdict" line is never printed as one: the gate's lines name the image.
    expect(r.stdout.split('\n')).not.toContain('PASSES the policy');
    expect(r.stdout).toContain(`${fixture('lies-ready')} FAILS the policy`);
  });
});

describe('one judgement, whichever door', () => {
  it('the library gives the verdict and report the command gave, for the same image, grace and policy', async () => {
    const lib = await certifyImage(fixture('hides-from-observer'), { grace: G, env: { TOKEN } });
    const shape = (r: ReportShape) => ({
      policy: r.policy,
      passed: r.passed,
      images: r.images.map(({ image, verdict, summary }) => ({ image, verdict, summary })),
      results: r.results
        .map(({ check, scenario, verdict }) => ({ check, scenario, verdict }))
        .sort((a, b) => `${a.check}/${a.scenario}`.localeCompare(`${b.check}/${b.scenario}`)),
    });
    expect(lib.exitCode).toBe(cliRun.exitCode);
    expect(lib.failures.map((f) => f.check)).toEqual(['zombie-reaping']);
    expect(shape(lib.report as unknown as ReportShape)).toEqual(shape(cliReport));
  });
});

describe('PID reuse after exit', () => {
  // The toolbox's entrypoint is ps-snapshot, run here as the node observer runs it.
  const snapshotFromNode = (...args: string[]) =>
    execa(
      'docker',
      [
        'run',
        '--rm',
        '--pid',
        'host',
        '--cap-add',
        'SYS_PTRACE',
        '--network',
        'none',
        inject('harness').toolboxImage,
        '--ns-of',
        ...args,
      ],
      { reject: false },
    );

  it("a pid that now names a host process is not read as the container's namespace", async () => {
    // PID 1 of the node: what a container's old pid would name if a host process took it.
    // Refused as gone (3) or, where AppArmor keeps containers from reading unconfined
    // host processes, as unreadable (4): either way nothing of the node's namespace is read.
    const r = await snapshotFromNode('1');
    expect([3, 4]).toContain(r.exitCode);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no longer in the PID namespace asked for|Permission denied/);
  });

  it('nor one that now lives in another namespace than the first snapshot found', async () => {
    const { stdout: id } = await execa('docker', ['run', '-d', '--network', 'none', fixture('scratch-sleeper')]);
    try {
      const { stdout: pid } = await execa('docker', ['inspect', '-f', '{{.State.Pid}}', id.trim()]);
      const first = await snapshotFromNode(pid.trim());
      expect(first.exitCode, first.stderr).toBe(0);
      const ns = /^ns (pid:\[\d+\])$/m.exec(first.stdout)?.[1] as string;
      expect(ns).toMatch(/^pid:\[\d+\]$/);
      expect((await snapshotFromNode(pid.trim(), '--ns', ns)).exitCode).toBe(0);
      const other = await snapshotFromNode(pid.trim(), '--ns', 'pid:[1]');
      expect(other.exitCode).toBe(3);
      expect(other.stdout).toBe('');
    } finally {
      await execa('docker', ['rm', '-f', id.trim()], { reject: false });
    }
  });
});

describe('only its own', () => {
  it("a container started by hand, from an image that carries the harness's labels, survives clean and a run's sweep", async () => {
    // A private record of runs, with one dead run in it: the sweep's candidate.
    const state = join(work, 'state');
    mkdirSync(join(state, 'container-lifecycle-harness', 'runs'), { recursive: true, mode: 0o700 });
    const deadRun = `deadrun-${randomBytes(3).toString('hex')}`;
    writeFileSync(join(state, 'container-lifecycle-harness', 'runs', deadRun), '999999999\n', { mode: 0o600 });
    // A user's image FROM a harness-built one, labelled to look like that dead run's.
    const ctx = join(work, 'user-image');
    mkdirSync(ctx);
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${fixture('prints-escapes')}\nLABEL io.harness.managed=true io.harness.run=${deadRun} io.harness.pid=999999999 io.harness.host=${hostname()}\nCMD ["sleep", "infinity"]\n`,
    );
    const tag = `harness-red-team/user:${deadRun}`;
    await execa('docker', ['build', '-q', '-t', tag, ctx]);
    const { stdout: id } = await execa('docker', ['run', '-d', '--network', 'none', tag]);
    try {
      const env = { XDG_STATE_HOME: state };
      const clean = await cli(['clean'], env);
      expect(clean.exitCode, clean.stderr).toBe(0);
      // A run opens by sweeping dead runs: the recorded dead run's label is on it, inherited.
      const run = await cli(['certify', fixture('prints-escapes'), '--out', join(work, 'sweep')], env);
      expect(run.exitCode).toBe(2);
      const still = await execa('docker', ['inspect', '-f', '{{.State.Running}}', id.trim()]);
      expect(still.stdout.trim()).toBe('true');
    } finally {
      await execa('docker', ['rm', '-f', id.trim()], { reject: false });
      await execa('docker', ['rmi', '-f', tag], { reject: false });
    }
  });
});
