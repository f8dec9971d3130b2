import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, no types
import { MUTANTS, staleMutants } from '../../scripts/mutants-list.mjs';
import { CHECKS } from '../../harness/checks/battery.js';

describe('npm run mutants', () => {
  it('has one breakage per check, each on a line still in the sources', () => {
    expect(Object.keys(MUTANTS as object).sort()).toEqual(CHECKS.map((c) => c.name).sort());
    expect(staleMutants((file: string) => readFileSync(file, 'utf8'))).toEqual([]);
  });
});
