import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, no declaration file
import { mutantsIn } from '../../scripts/mutants-list.mjs';
import { CHECKS } from '../../harness/checks/battery.js';
import { projectRoot } from '../../harness/paths.js';

interface Mutant {
  check: string;
  file: string;
  line: number;
  breaks: string;
  apply(text: string): string;
}

describe('npm run mutants', () => {
  const mutants = mutantsIn(projectRoot()) as Mutant[];

  it("reads one breakage per check from the check's own file", () => {
    expect(mutants.map((m) => m.check).sort()).toEqual(CHECKS.map((c) => c.name).sort());
  });

  it('each changes the line below its marker, and only that line', () => {
    for (const m of mutants) {
      const before = readFileSync(join(projectRoot(), m.file), 'utf8');
      const after = m.apply(before);
      const a = before.split('\n');
      const b = after.split('\n');
      expect(after, m.check).not.toBe(before);
      expect(b.slice(0, m.line - 1), m.check).toEqual(a.slice(0, m.line - 1));
      expect(b.slice(b.length - (a.length - m.line)), m.check).toEqual(a.slice(m.line));
    }
  });

  it('a marker whose line has changed is refused, not applied somewhere else', () => {
    const m = mutants[0] as Mutant;
    const text = readFileSync(join(projectRoot(), m.file), 'utf8').split('\n');
    text[m.line - 1] = `${text[m.line - 1]} // edited`;
    expect(() => m.apply(text.join('\n'))).toThrow(/changed since it was read/);
  });
});
