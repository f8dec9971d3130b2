#!/usr/bin/env node
// `npm run mutants`: proves that every check's suite can fail. Each check gets one
// deliberate breakage (a mutant) in a scratch copy of the committed tree; all of them
// are applied at once (each touches only its own check) and the checks' suites run
// against the engine. Every suite must fail, and fail on its witness comparison (the
// docker CLI, the host's /proc, the program's own log), not only on the expected row.
// Exit 0 when every mutant is caught by its witness, 1 otherwise.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { mutantsIn } from './mutants-list.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const mutants = mutantsIn(root);

/** A check's suite: suites/<folder>/<check>.test.ts (the battery's, or the gate's own). */
function suiteOf(check) {
  const hit = readdirSync(join(root, 'suites'), { recursive: true, encoding: 'utf8' }).find(
    (f) => f.endsWith(`/${check}.test.ts`) || f === `${check}.test.ts`,
  );
  if (!hit) throw new Error(`no suite named ${check}.test.ts under suites/`);
  return `suites/${hit}`;
}
const checks = new Set(mutants.map((m) => m.check));
if (mutants.length !== checks.size) {
  console.error('mutants: one breakage per check file, no more');
  process.exitCode = 2;
} else {
  const dir = mkdtempSync(join(tmpdir(), 'harness-mutants-'));
  try {
    $.sync({ quiet: true })`git -C ${root} archive HEAD | tar -x -C ${dir}`;
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    for (const m of mutants) {
      const path = join(dir, m.file);
      writeFileSync(path, m.apply(readFileSync(path, 'utf8')));
    }
    const out = join(dir, 'mutants.json');
    const suites = mutants.map((m) => suiteOf(m.check));
    console.log(`running ${suites.length} check suites against their mutants in ${dir}`);
    $.sync({
      cwd: dir,
      nothrow: true,
      stdio: ['ignore', 'ignore', 'inherit'],
    })`npx vitest run --project engine --reporter=json ${`--outputFile=${out}`} ${suites}`;
    if (!existsSync(out)) throw new Error('the suites wrote no results');
    const results = JSON.parse(readFileSync(out, 'utf8')).testResults;
    let allCaught = true;
    const rows = [];
    for (const { check, breaks: what } of mutants) {
      const suite = results.find((r) => r.name.endsWith(suiteOf(check)));
      const failed = (suite?.assertionResults ?? []).filter((a) => a.status === 'failed');
      const byWitness = failed.filter((a) => a.failureMessages.some((m) => m.includes(`${check}.test.ts:`))).length;
      const byRow = failed.filter((a) => a.failureMessages.some((m) => m.includes('to deeply equal []'))).length;
      if (!byWitness) allCaught = false;
      rows.push(`| ${check} | ${what} | ${failed.length} | ${byWitness} | ${byRow} |`);
    }
    console.log('| check | mutant | tests failed | by the witness | by the expected row |');
    console.log('|---|---|---|---|---|');
    for (const row of rows) console.log(row);
    console.log(allCaught ? 'every mutant was caught by its witness' : 'a mutant escaped its witness');
    process.exitCode = allCaught ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
