import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../harness/certify/run-options.js';
import { projectRoot } from '../../harness/paths.js';

/** The rows of docs/bad-input.md's table: the command line and the start of its one-line answer. */
function rows(): [string, string][] {
  const section = readFileSync(join(projectRoot(), 'docs', 'bad-input.md'), 'utf8');
  return [...section.matchAll(/^\| `harness (.+?)` \| `(.+)` \|$/gm)].map((m) => [m[1] as string, m[2] as string]);
}

describe("docs/bad-input.md's table", () => {
  it('lists the inputs it promises', () => {
    expect(rows().length).toBeGreaterThanOrEqual(30);
  });

  it.each(rows())('harness %s', async (command, answer) => {
    const r = await execa('node', [join(projectRoot(), 'bin/harness.mjs'), ...parseCommand(command, 'row')], {
      cwd: projectRoot(),
      reject: false,
      timeout: 30_000,
      env: { HARNESS_QUIET_BUILD: '1' },
    });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]?.startsWith(answer), `${lines[0]} starts with ${answer}`).toBe(true);
  });
});
