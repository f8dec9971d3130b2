// @ts-check
/**
 * The harness's layers, enforced (part of `npm run lint`): a module imports only from
 * its own layer or the ones below it, type imports included, and no two modules import
 * each other through any chain. Run alone: `node scripts/layers.mjs [folder]` (harness/ by
 * default).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Bottom first. A folder ends in "/"; a file at the top of harness/ is named alone.
 * What a layer is for:
 *  - leaves: errors, logging, paths, text made safe for a terminal or a report, signal
 *    names and numbers;
 *  - engine: the one boundary with the container engine;
 *  - observe, images: snapshots and clocks, images built and bootstrapped;
 *  - runtime: the ContainerRuntime interface, the engine behind it, an in-memory fake;
 *  - run: what a scenario needs (containers in flight and their bound);
 *  - checks: one behaviour per file, and the registry;
 *  - certify, pod: the gate and the pod emulator, each over the checks and the engine;
 *  - report: renderers of what the layers below observed;
 *  - the application: config and subjects, the matrix, the certify application;
 *  - the two front doors, the library and the command line.
 */
export const LAYERS = [
  [
    'errors.ts',
    'log.ts',
    'paths.ts',
    'safe-paths.ts',
    'yaml-file.ts',
    'version.ts',
    'secrets.ts',
    'text.ts',
    'signals.ts',
  ],
  ['engine/', 'cri/'],
  ['observe/'],
  ['images/'],
  ['runtime/'],
  ['run/'],
  ['checks/'],
  ['certify/'],
  ['pod/'],
  ['report/'],
  ['config.ts', 'prepare.ts', 'matrix.ts', 'app/'],
  ['testcontainers.ts'],
  ['index.ts', 'vitest.ts'],
  ['cli/'],
];

/**
 * @param {string} module a path relative to harness/
 * @returns {number} its layer's index, -1 when no layer names it
 */
export function layerOf(module) {
  return LAYERS.findIndex((layer) =>
    layer.some((unit) => (unit.endsWith('/') ? module.startsWith(unit) : module === unit)),
  );
}

/**
 * The folders that reach the engine only through the ContainerRuntime interface
 * (runtime/): they import nothing of engine/, types included.
 */
export const THROUGH_RUNTIME = ['run/', 'checks/', 'certify/', 'pod/', 'report/'];

/** @typedef {{ from: string, to: string, typeOnly: boolean }} Edge */

const IMPORT =
  /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm;

/**
 * Every relative import between the modules under `root`, as paths relative to it.
 * @param {string} root
 * @returns {{ modules: string[], edges: Edge[] }}
 */
export function importGraph(root) {
  /** @type {string[]} */
  const files = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|mjs)$/.test(name) && !name.endsWith('.d.ts')) files.push(relative(root, path));
    }
  };
  walk(root);
  const known = new Set(files);
  /** @type {Edge[]} */
  const edges = [];
  for (const from of files) {
    const text = readFileSync(join(root, from), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[2] ?? m[3] ?? '';
      const target = relative(root, resolve(root, dirname(from), spec));
      const to = [target.replace(/\.js$/, '.ts'), target].find((t) => known.has(t));
      if (to) edges.push({ from, to, typeOnly: Boolean(m[1]) });
    }
  }
  return { modules: files, edges };
}

/**
 * What breaks the layering: a module in no layer, an import from a higher layer, and
 * each cycle (its modules in import order).
 * @param {{ modules: string[], edges: Edge[] }} graph
 * @returns {string[]}
 */
export function violations(graph) {
  const problems = [];
  for (const m of graph.modules)
    if (layerOf(m) < 0) problems.push(`${m}: in no layer (add its folder to LAYERS in scripts/layers.mjs)`);
  for (const e of graph.edges) {
    const [a, b] = [layerOf(e.from), layerOf(e.to)];
    if (a >= 0 && b > a) problems.push(`${e.from} imports ${e.typeOnly ? 'types from ' : ''}${e.to}, a layer above it`);
    else if (e.to.startsWith('engine/') && THROUGH_RUNTIME.some((f) => e.from.startsWith(f)))
      problems.push(
        `${e.from} imports ${e.typeOnly ? 'types from ' : ''}${e.to}: it reaches the engine only through runtime/`,
      );
  }
  for (const cycle of cycles(graph)) problems.push(`cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  return problems;
}

/**
 * Strongly connected components of more than one module (or a module importing itself).
 * @param {{ modules: string[], edges: Edge[] }} graph
 * @returns {string[][]}
 */
export function cycles(graph) {
  /** @type {Map<string, string[]>} */
  const next = new Map(graph.modules.map((m) => [m, []]));
  for (const e of graph.edges) next.get(e.from)?.push(e.to);
  const index = new Map();
  const low = new Map();
  /** @type {string[]} */
  const stack = [];
  const onStack = new Set();
  /** @type {string[][]} */
  const found = [];
  let counter = 0;
  /** @param {string} v */
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    /** @type {string[]} */
    const component = [];
    let w;
    do {
      w = /** @type {string} */ (stack.pop());
      onStack.delete(w);
      component.unshift(w);
    } while (w !== v);
    if (component.length > 1 || next.get(v)?.includes(v)) found.push(component);
  };
  for (const m of graph.modules) if (!index.has(m)) visit(m);
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'harness');
  const graph = importGraph(root);
  const problems = violations(graph);
  for (const p of problems) console.error(`layers: ${p}`);
  if (problems.length) process.exitCode = 1;
  else console.log(`layers: ${graph.modules.length} modules, ${graph.edges.length} imports, none upward, no cycle`);
}
