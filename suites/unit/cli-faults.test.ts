import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../harness/paths.js';
import { fixtureReport } from '../support/fixture-report.js';

const bin = join(projectRoot(), 'bin/harness.mjs');
const dir = mkdtempSync(join(tmpdir(), 'harness-faults-'));
const input = join(dir, 'report.json');
writeFileSync(input, JSON.stringify(fixtureReport()));

describe('output that cannot be written', () => {
  it.each([
    ['/proc/nope', 'harness: cannot write reports to /proc/nope: ENOENT'],
    ['/proc/nope/deeper', 'harness: cannot write reports to /proc/nope/deeper: ENOENT'],
    ['/etc/hostname/x', 'harness: cannot write reports to /etc/hostname/x: /etc/hostname is not a folder'],
  ])('--out %s: one line, exit 2, no spinning', async (out, line) => {
    // The timeout only stops the spin Node's recursive mkdir falls into on /proc.
    const r = await execa('node', [bin, 'report', '--input', input, '--out', out], { reject: false, timeout: 30_000 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(line);
  });

  it('a reader that goes away (| head): the rest is dropped, the run ends with its own code, no stack trace', async () => {
    const child = spawn('node', [bin, 'report', '--input', input, '--out', join(dir, 'closed')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a checkout whose dependencies were never installed', () => {
  it('one line naming the missing package and the fix, exit 2', async () => {
    // The command as a fresh clone has it: its sources, no dist/, no node_modules.
    const clone = mkdtempSync(join(tmpdir(), 'harness-bare-clone-'));
    for (const file of ['bin/harness.mjs', 'bin/source-digest.mjs']) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      copyFileSync(join(projectRoot(), file), join(clone, file));
    }
    mkdirSync(join(clone, 'harness/cli'), { recursive: true });
    writeFileSync(join(clone, 'harness/cli/main.ts'), "import 'dockerode';\n");
    const r = await execa('node', [join(clone, 'bin/harness.mjs'), '--version'], {
      reject: false,
      env: { HARNESS_QUIET_BUILD: '1' },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(`harness: tsx is not installed: run \`npm ci\` in ${clone}`);
  });
});
