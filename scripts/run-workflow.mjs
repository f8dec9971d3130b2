#!/usr/bin/env node
// Runs a GitHub Actions workflow's jobs on this machine, with no workflow runner: every
// `run:` step of every job (each matrix combination in turn, jobs in `needs` order) in
// bash, with the workflow's env, expressions, step outputs, GITHUB_OUTPUT, GITHUB_ENV,
// GITHUB_STEP_SUMMARY (.harness/workflow/step-summary.md) and RUNNER_TEMP. The few
// actions the workflows use are done locally: checkout (this tree
// is the checkout), setup-node (checks the Node version), upload/download-artifact and
// cache/restore/save (folders under .harness/workflow/), and `./` (this repository's
// composite action). Anything else is refused, never skipped in silence.
//
// Usage: node scripts/run-workflow.mjs FILE [--job NAME]... [--matrix KEY=VALUE]...
// Exit 0 when every job that ran succeeded, 1 when one failed, 2 on bad input.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

const root = resolve(new URL('..', import.meta.url).pathname);
const state = process.env.HARNESS_WORKFLOW_STATE || join(root, '.harness', 'workflow');

/** Bad input: said in one line, exit 2. */
class BadInput extends Error {}
/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  throw new BadInput(message);
}
process.on('uncaughtException', (err) => {
  process.stderr.write(`run-workflow: ${err instanceof BadInput ? err.message : err.stack}\n`);
  process.exitCode = 2;
});

const args = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { job: { type: 'string', multiple: true }, matrix: { type: 'string', multiple: true } },
    });
  } catch (err) {
    return fail(String(err instanceof Error ? err.message : err).split('\n')[0] ?? '');
  }
})();
const file = args.positionals[0];
if (!file || args.positionals.length > 1) fail('usage: run-workflow.mjs FILE [--job NAME]... [--matrix KEY=VALUE]...');
if (!existsSync(file)) fail(`no such workflow: ${file}`);
const workflow = YAML.parse(readFileSync(file, 'utf8'));
const matrixFilter = Object.fromEntries((args.values.matrix ?? []).map((kv) => kv.split('=')));

// ---- expressions: ${{ ... }} with literals, context paths, ! == != && || ( ) and the status functions
function tokenize(src) {
  const tokens = [];
  const re =
    /\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|(==|!=|&&|\|\||[!()])|([A-Za-z_][\w-]*(?:\.[\w-]+|\.\*)*)(\(\))?)/y;
  let m;
  let pos = 0;
  while (pos < src.length) {
    re.lastIndex = pos;
    m = re.exec(src);
    if (!m) {
      if (!src.slice(pos).trim()) break;
      throw new Error(`unsupported expression "${src}"`);
    }
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ t: 'lit', v: m[1].slice(1, -1).replace(/''/g, "'") });
    else if (m[2] !== undefined) tokens.push({ t: 'lit', v: Number(m[2]) });
    else if (m[3] !== undefined) tokens.push({ t: m[3] });
    else if (m[5] !== undefined) tokens.push({ t: 'call', v: m[4] });
    else tokens.push({ t: 'path', v: m[4] });
  }
  return tokens;
}

function evaluate(src, ctx) {
  const tokens = tokenize(src);
  let i = 0;
  const peek = () => tokens[i]?.t;
  const primary = () => {
    const tok = tokens[i++];
    if (!tok) throw new Error(`unsupported expression "${src}"`);
    if (tok.t === '!') return !truthy(primary());
    if (tok.t === '(') {
      const v = or();
      if (tokens[i++]?.t !== ')') throw new Error(`unbalanced parentheses in "${src}"`);
      return v;
    }
    if (tok.t === 'lit') return tok.v;
    if (tok.t === 'call') {
      const status = ctx.jobStatus;
      if (tok.v === 'always') return true;
      if (tok.v === 'success') return status === 'success';
      if (tok.v === 'failure') return status === 'failure';
      if (tok.v === 'cancelled') return false;
      throw new Error(`unsupported function ${tok.v}() in "${src}"`);
    }
    if (tok.t === 'path') {
      if (tok.v === 'true') return true;
      if (tok.v === 'false') return false;
      return String(tok.v)
        .split('.')
        .reduce((o, k) => (o == null ? undefined : o[k]), ctx);
    }
    throw new Error(`unsupported expression "${src}"`);
  };
  const cmp = () => {
    let v = primary();
    while (peek() === '==' || peek() === '!=') {
      const op = tokens[i++]?.t;
      const w = primary();
      const eq = String(v ?? '').toLowerCase() === String(w ?? '').toLowerCase();
      v = op === '==' ? eq : !eq;
    }
    return v;
  };
  const and = () => {
    let v = cmp();
    while (peek() === '&&') {
      i++;
      const w = cmp();
      v = truthy(v) ? w : v;
    }
    return v;
  };
  const or = () => {
    let v = and();
    while (peek() === '||') {
      i++;
      const w = and();
      v = truthy(v) ? v : w;
    }
    return v;
  };
  const v = or();
  if (i !== tokens.length) throw new Error(`unsupported expression "${src}"`);
  return v;
}

const truthy = (v) => v !== false && v !== 0 && v !== '' && v !== null && v !== undefined;

function interpolate(value, ctx) {
  if (typeof value !== 'string') return value;
  return value.replace(/\$\{\{(.*?)\}\}/g, (_, expr) => {
    const v = evaluate(expr, ctx);
    return v === undefined || v === null ? '' : String(v);
  });
}

function condition(expr, ctx, fallback = 'success()') {
  const text = String(expr ?? fallback).replace(/^\s*\$\{\{(.*)\}\}\s*$/, '$1');
  const usesStatus = /\b(always|success|failure|cancelled)\(\)/.test(text);
  return truthy(evaluate(usesStatus ? text : `success() && (${text})`, ctx));
}

const interpolateMap = (map, ctx) =>
  Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]));

// ---- artefacts and caches, as folders
function copyInto(src, dest) {
  mkdirSync(dest, { recursive: true });
  if (statSync(src).isDirectory()) cpSync(src, dest, { recursive: true });
  else cpSync(src, join(dest, src.split('/').at(-1)));
}

const glob = (pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

const ACTIONS = {
  'actions/checkout': () => log('   (this working tree is the checkout)'),
  'actions/setup-node': (w) => {
    const major = Number(process.versions.node.split('.')[0]);
    if (w['node-version'] && major < Number(w['node-version']))
      throw new Error(`Node ${w['node-version']} wanted, this machine has ${process.versions.node}`);
    log(`   (Node ${process.versions.node})`);
  },
  'actions/upload-artifact': (w) => {
    const src = resolve(w.path);
    if (!existsSync(src)) {
      if ((w['if-no-files-found'] ?? 'warn') === 'error') throw new Error(`no files at ${w.path}`);
      return log(`   no files at ${w.path}`);
    }
    const dest = join(state, 'artifacts', w.name ?? 'artifact');
    rmSync(dest, { recursive: true, force: true });
    copyInto(src, dest);
    log(`   kept ${w.path} as artifact ${w.name}`);
  },
  'actions/download-artifact': (w) => {
    const dir = join(state, 'artifacts');
    const names = existsSync(dir) ? readdirSync(dir) : [];
    const wanted = w.name ? names.filter((n) => n === w.name) : names.filter((n) => glob(w.pattern ?? '*').test(n));
    if (!wanted.length) throw new Error(`no artifact matches ${w.name ?? w.pattern}`);
    const merge = w.name || String(w['merge-multiple']) === 'true';
    for (const n of wanted) cpSync(join(dir, n), resolve(w.path ?? '.', merge ? '' : n), { recursive: true });
    log(`   fetched ${wanted.join(', ')} into ${w.path ?? '.'}`);
  },
  'actions/cache/restore': (w) => {
    const dir = join(state, 'cache');
    const keys = existsSync(dir) ? readdirSync(dir) : [];
    const prefixes = String(w['restore-keys'] ?? '')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    const byAge = keys.sort((a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs);
    const hit = keys.includes(w.key) ? w.key : byAge.find((k) => prefixes.some((p) => k.startsWith(p)));
    if (!hit) {
      log(`   no cache for ${w.key}`);
      return { 'cache-hit': 'false' };
    }
    cpSync(join(dir, hit), resolve(w.path), { recursive: true });
    log(`   restored cache ${hit} into ${w.path}`);
    // As the action says it: true only for the key itself, not a restore-keys prefix.
    return { 'cache-hit': String(hit === w.key), 'cache-matched-key': hit };
  },
  'actions/cache/save': (w) => {
    const dest = join(state, 'cache', w.key);
    rmSync(dest, { recursive: true, force: true });
    cpSync(resolve(w.path), dest, { recursive: true });
    log(`   saved ${w.path} as cache ${w.key}`);
  },
};

const log = (line) => process.stdout.write(`${line}\n`);

// ---- steps and jobs
function runSteps(steps, ctx, env, prefix) {
  for (const [n, step] of steps.entries()) {
    const name = step.name ? interpolate(step.name, ctx) : (step.uses ?? step.run?.split('\n')[0] ?? `step ${n + 1}`);
    if (!condition(step.if, ctx)) {
      log(`${prefix}- skip: ${name}`);
      continue;
    }
    log(`${prefix}> ${name}`);
    const started = Date.now();
    let ok = true;
    try {
      const stepEnv = { ...env, ...interpolateMap(step.env, ctx) };
      if (step.run !== undefined) {
        const tmp = mkdtempSync(join(tmpdir(), 'run-workflow-'));
        const outputFile = join(tmp, 'output');
        const envFile = join(tmp, 'env');
        const r = spawnSync(step.shell ?? 'bash', ['-eo', 'pipefail', '-c', interpolate(step.run, ctx)], {
          cwd: resolve(interpolate(step['working-directory'] ?? '.', ctx)),
          env: { ...process.env, ...stepEnv, GITHUB_OUTPUT: outputFile, GITHUB_ENV: envFile },
          stdio: 'inherit',
        });
        const outputs = existsSync(outputFile) ? parseKeyValues(readFileSync(outputFile, 'utf8')) : {};
        if (step.id) ctx.steps[step.id] = { outputs };
        if (existsSync(envFile)) Object.assign(env, parseKeyValues(readFileSync(envFile, 'utf8')));
        rmSync(tmp, { recursive: true, force: true });
        ok = r.status === 0;
        if (!ok) log(`${prefix}  failed: exit ${r.status ?? r.signal}`);
      } else if (step.uses === './' || step.uses?.startsWith('./')) {
        ok = runLocalAction(step.uses, interpolateMap(step.with, ctx), ctx, env, `${prefix}  `, step.id);
      } else {
        const action = ACTIONS[String(step.uses).split('@')[0]];
        if (!action) throw new Error(`the action ${step.uses} has no local equivalent`);
        const returned = action(interpolateMap(step.with, ctx));
        // An action's outputs, when it has any (actions/cache/restore's cache-hit).
        if (step.id) ctx.steps[step.id] = { outputs: returned && typeof returned === 'object' ? returned : {} };
      }
    } catch (err) {
      ok = false;
      log(`${prefix}  failed: ${err instanceof Error ? err.message : err}`);
    }
    log(`${prefix}  ${ok ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const continueOnError = String(interpolate(String(step['continue-on-error'] ?? false), ctx)) === 'true';
    if (step.id)
      ctx.steps[step.id] = {
        outputs: ctx.steps[step.id]?.outputs ?? {},
        outcome: ok ? 'success' : 'failure',
        conclusion: ok || continueOnError ? 'success' : 'failure',
      };
    if (!ok && !continueOnError) ctx.jobStatus = 'failure';
  }
  return ctx.jobStatus === 'success';
}

function parseKeyValues(text) {
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]);
      out[heredoc[1]] = body.join('\n');
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

function runLocalAction(path, inputs, ctx, env, prefix, id) {
  const actionDir = resolve(path);
  const action = YAML.parse(readFileSync(join(actionDir, 'action.yml'), 'utf8'));
  if (action.runs?.using !== 'composite') throw new Error(`${path}: only composite actions run here`);
  for (const [k, spec] of Object.entries(action.inputs ?? {}))
    if (spec.required && inputs[k] === undefined) throw new Error(`${path}: input "${k}" is required`);
  const defaults = Object.fromEntries(Object.entries(action.inputs ?? {}).map(([k, s]) => [k, s.default ?? '']));
  const inner = {
    ...ctx,
    inputs: { ...defaults, ...inputs },
    github: { ...ctx.github, action_path: actionDir },
    steps: {},
    jobStatus: 'success',
  };
  for (const step of action.runs.steps ?? [])
    if (step.run !== undefined && !step.shell) throw new Error(`${path}: a run step needs a shell`);
  const ok = runSteps(action.runs.steps ?? [], inner, { ...env }, prefix);
  if (id)
    ctx.steps[id] = {
      outputs: interpolateMap(
        Object.fromEntries(Object.entries(action.outputs ?? {}).map(([k, o]) => [k, o.value])),
        inner,
      ),
    };
  return ok;
}

function combinations(matrix) {
  if (!matrix) return [{}];
  if (matrix.include || matrix.exclude) fail('matrix include/exclude are not supported here');
  return Object.entries(matrix).reduce(
    (acc, [k, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [k]: v }))),
    [{}],
  );
}

function order(jobs) {
  const done = [];
  const visit = (name, path = []) => {
    if (done.includes(name)) return;
    if (path.includes(name)) fail(`needs cycle: ${[...path, name].join(' -> ')}`);
    if (!jobs[name]) fail(`unknown job in needs: ${name}`);
    for (const n of [].concat(jobs[name].needs ?? [])) visit(n, [...path, name]);
    done.push(name);
  };
  Object.keys(jobs).forEach((n) => visit(n));
  return done;
}

const sha = (spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout ?? '').trim() || 'local';
const runId = String(Date.now());
// The job summary the steps append to ($GITHUB_STEP_SUMMARY), one for the whole run,
// and the runner's temporary folder ($RUNNER_TEMP), both new for each run.
const summary = join(state, 'step-summary.md');
const runnerTemp = join(state, 'runner-temp');
rmSync(runnerTemp, { recursive: true, force: true });
mkdirSync(runnerTemp, { recursive: true });
mkdirSync(state, { recursive: true });
writeFileSync(summary, '');
const results = {};
const wanted = args.values.job;
for (const jobName of order(workflow.jobs ?? {})) {
  if (wanted && !wanted.includes(jobName)) continue;
  const job = workflow.jobs[jobName];
  const needs = Object.fromEntries([].concat(job.needs ?? []).map((n) => [n, { result: results[n] ?? 'skipped' }]));
  const combos = combinations(job.strategy?.matrix).filter((c) =>
    Object.entries(matrixFilter).every(([k, v]) => !(k in c) || String(c[k]) === v),
  );
  let result = 'success';
  for (const matrix of combos) {
    const ctx = {
      matrix,
      needs,
      env: {},
      inputs: {},
      steps: {},
      github: { workspace: process.cwd(), run_id: runId, sha, event_name: 'workflow_dispatch' },
      runner: { temp: runnerTemp, os: 'Linux' },
      jobStatus: Object.values(needs).every((n) => n.result === 'success') ? 'success' : 'failure',
    };
    ctx.env = { ...interpolateMap(workflow.env, ctx) };
    ctx.env = { ...ctx.env, ...interpolateMap(job.env, ctx) };
    const title = job.name ? interpolate(job.name, ctx) : jobName;
    if (!condition(job.if, ctx)) {
      log(`== ${title}: skipped (if: ${job.if})`);
      continue;
    }
    ctx.jobStatus = 'success';
    log(`== ${title}`);
    const env = {
      ...ctx.env,
      CI: 'true',
      GITHUB_WORKSPACE: process.cwd(),
      GITHUB_SHA: sha,
      GITHUB_RUN_ID: runId,
      RUNNER_TEMP: runnerTemp,
      GITHUB_STEP_SUMMARY: summary,
    };
    const started = Date.now();
    const ok = runSteps(job.steps ?? [], ctx, env, '   ');
    log(`== ${title}: ${ok ? 'success' : 'FAILURE'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!ok) result = 'failure';
  }
  results[jobName] = combos.length ? result : 'skipped';
}
const failed = Object.entries(results).filter(([, r]) => r === 'failure');
log(
  `\n${file}: ${Object.entries(results)
    .map(([j, r]) => `${j} ${r}`)
    .join(', ')}`,
);
process.exitCode = failed.length ? 1 : 0;
