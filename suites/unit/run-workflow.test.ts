import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../harness/paths.js';

const WORKFLOW = `
name: t
on: workflow_dispatch
env:
  TOTAL: 2
jobs:
  build:
    name: build \${{ matrix.engine }} \${{ matrix.shard }}/2
    runs-on: ubuntu-latest
    strategy:
      matrix:
        engine: [docker, podman]
        shard: [1, 2]
    env:
      ENGINE: \${{ matrix.engine }}
    steps:
      - uses: actions/checkout@v4
      - id: out
        run: echo "file=\${ENGINE}-\${{ matrix.shard }}.txt" >> "$GITHUB_OUTPUT"
      - run: mkdir -p out && echo "$ENGINE \${{ matrix.shard }}/$TOTAL" > "out/\${{ steps.out.outputs.file }}"
      - uses: actions/upload-artifact@v4
        with:
          name: part-\${{ matrix.engine }}-\${{ matrix.shard }}
          path: out/\${{ steps.out.outputs.file }}
          if-no-files-found: error
  broken:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
      - run: echo never > never.txt
      - if: always()
        run: echo cleanup > cleanup.txt
  merge:
    needs: [build, broken]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          pattern: part-*
          path: merged
          merge-multiple: true
      - run: cat merged/*.txt | sort > all.txt
      - if: needs.broken.result == 'success'
        run: echo wrong > gated.txt
      - id: gate
        uses: ./
        with:
          word: hello
      - run: echo "\${{ steps.gate.outputs.said }}" > action-output.txt
`;

const ACTION = `
name: a
description: says a word
inputs:
  word:
    description: the word
    required: true
outputs:
  said:
    description: what it said
    value: \${{ steps.say.outputs.said }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      env:
        WORD: \${{ inputs.word }}
      run: echo "said=$WORD from $(basename \${{ github.action_path }})" >> "$GITHUB_OUTPUT"
`;

// Each run starts a few dozen processes (bash per step, node for the runner): on a
// loaded machine that takes far longer than the unit project's default deadline, which
// only stops a hang.
const RUN_DEADLINE_MS = 300_000;

describe('the local workflow runner', { timeout: RUN_DEADLINE_MS }, () => {
  it('runs every job in needs order with the matrix, outputs, artefacts, status functions and a local action', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    mkdirSync(join(dir, 'wf'));
    writeFileSync(join(dir, 'wf', 't.yml'), WORKFLOW);
    writeFileSync(join(dir, 'action.yml'), ACTION);
    const r = await execa('node', [join(projectRoot(), 'scripts', 'run-workflow.mjs'), 'wf/t.yml'], {
      cwd: dir,
      reject: false,
      env: { HARNESS_WORKFLOW_STATE: join(dir, 'state') },
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('== build podman 2/2: success');
    expect(r.stdout).toMatch(/wf\/t\.yml: build success, broken failure, merge success$/m);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8').trim();
    expect(read('all.txt').split('\n')).toEqual(['docker 1/2', 'docker 2/2', 'podman 1/2', 'podman 2/2']);
    expect(read('cleanup.txt')).toBe('cleanup');
    expect(() => read('never.txt')).toThrow();
    expect(() => read('gated.txt')).toThrow();
    expect(read('action-output.txt')).toMatch(/^hello from wf-/);
  });

  it('refuses an action it cannot do locally and an expression it cannot read, instead of skipping them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    writeFileSync(
      join(dir, 'w.yml'),
      'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: some/action@v1\n      - if: always()\n        run: echo "${{ fromJSON(x) }}"\n',
    );
    const r = await execa('node', [join(projectRoot(), 'scripts', 'run-workflow.mjs'), 'w.yml'], {
      cwd: dir,
      reject: false,
      env: { HARNESS_WORKFLOW_STATE: join(dir, 'state') },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('the action some/action@v1 has no local equivalent');
    expect(r.stdout).toContain('unsupported');
  });
});
