/**
 * The Action (action.yml) as a workflow calls it, run by the local step runner
 * (scripts/run-workflow.mjs): a service that needs a setting, given as the env input
 * with a secret beside it, its ready port and its Dockerfile. The step outputs say the
 * verdict, exit code, report folder and SARIF file; the Markdown report is in the job
 * summary; the secret's value is in none of the reports. The built base image is kept
 * in the cache under its recipe, and the next run loads it from there.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, inject, it, onTestFinished } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../harness/paths.js';

const SECRET = 'hunter2-not-for-reports';

it(
  'certifies with env, ready-port and dockerfile inputs: outputs, job summary, SARIF',
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-action-'));
    // The cached base image (about 200 MB) goes with the rest.
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const image = inject('harness').fixtures['needs-port'] as string;
    const workflow = join(dir, 'gate.yml');
    writeFileSync(
      workflow,
      `name: gate
on: workflow_dispatch
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - id: gate
        uses: ./
        with:
          image: ${image}
          env: |
            PORT=8080
            API_TOKEN=${SECRET}
          ready-port: 8080
          dockerfile: images/certify/needs-port/Dockerfile
          grace: 5
          formats: json,md,sarif
      - run: |
          {
            echo "verdict: \${{ steps.gate.outputs.verdict }}"
            echo "exit-code: \${{ steps.gate.outputs.exit-code }}"
            echo "report: \${{ steps.gate.outputs.report }}"
            echo "sarif: \${{ steps.gate.outputs.sarif }}"
          } > "$RUNNER_TEMP/outputs.yaml"
`,
    );
    const state = join(dir, 'state');
    const runWorkflow = () =>
      execa('node', [join(projectRoot(), 'scripts', 'run-workflow.mjs'), workflow], {
        cwd: projectRoot(),
        reject: false,
        all: true,
        env: { HARNESS_WORKFLOW_STATE: state, HARNESS_QUIET_BUILD: '1' },
      });
    const r = await runWorkflow();
    expect(r.exitCode, r.all).toBe(0);
    // The base image was kept in the cache under its recipe, and a second run loads it.
    expect(r.all).toMatch(/saved \S+harness-base as cache harness-base-[0-9a-f]{16}\n/);
    const again = await runWorkflow();
    expect(again.exitCode, again.all).toBe(0);
    expect(again.all).toMatch(/restored cache harness-base-[0-9a-f]{16} into \S+harness-base\n/);
    expect(again.all).toMatch(/> Load the base image\n[\s\S]*?ok in /);
    expect(again.all).toMatch(/- skip: Keep the built base image/);
    const outputs = parseYaml(readFileSync(join(state, 'runner-temp', 'outputs.yaml'), 'utf8')) as Record<
      string,
      string | number
    >;
    expect(outputs).toMatchObject({ verdict: 'pass', 'exit-code': 0 });
    const report = String(outputs.report);
    const sarif = JSON.parse(readFileSync(String(outputs.sarif), 'utf8')) as { version: string };
    expect(sarif.version).toBe('2.1.0');
    expect(JSON.parse(readFileSync(join(report, 'report.json'), 'utf8'))).toMatchObject({ passed: true });
    // The Markdown report is the job summary.
    const summary = readFileSync(join(state, 'step-summary.md'), 'utf8');
    expect(summary).toBe(readFileSync(join(report, 'report.md'), 'utf8'));
    expect(summary).toContain(image);
    // The env input reached the image (it listened on PORT) and its values stay out of every report.
    for (const f of ['report.json', 'report.md', 'report.sarif'])
      expect(readFileSync(join(report, f), 'utf8'), f).not.toContain(SECRET);
    expect(existsSync(join(state, 'artifacts', 'certify-report', 'report.json'))).toBe(true);
  },
);
