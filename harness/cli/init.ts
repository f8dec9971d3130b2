import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import { projectRoot } from '../paths.js';
import { parse, type Options } from './args.js';
import { folderOf } from '../safe-paths.js';

export const initHelp = `harness init [DIR] [--force] [--dry-run]

Sets a repository up for the harness (DIR, default the working directory): finds its
Dockerfiles (Dockerfile, Dockerfile.NAME, NAME.Dockerfile; not under node_modules,
vendor or hidden folders) and writes
  harness.config.yaml             a subject per Dockerfile, built from its folder
                                  (\`harness matrix\` runs the battery on them)
  .harness/policy.yaml            the default policy, commented (\`harness certify\`
                                  reads it from there)
  .github/workflows/certify.yml   a workflow that builds them and gates each change
The YAML files name their JSON Schema on their first line, so editors complete and
check them. A file that exists is kept unless --force.

  --force      replace files that exist
  --dry-run    print what would be written, write nothing

Exit 0, or 2 when DIR holds no Dockerfile (nothing to certify) or is not a folder.`;

/** The options `harness init` takes (its help text names each: a unit test checks). */
export const initOptions = {
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} satisfies Options;

/** Folders never searched for Dockerfiles: dependencies, build output, hidden folders. */
const SKIPPED = new Set(['node_modules', 'vendor', 'dist', 'build', 'target', '__pycache__']);
const MAX_DEPTH = 6;
const MAX_DOCKERFILES = 100;

const isDockerfile = (name: string) => /^Dockerfile(\.[\w.-]+)?$/.test(name) || /^[\w.-]+\.Dockerfile$/.test(name);

/** The Dockerfiles under `root`, as paths relative to it, in a stable order. */
export function findDockerfiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return; // unreadable: not searched
    }
    for (const e of entries) {
      if (found.length >= MAX_DOCKERFILES) return;
      if (e.isFile() && isDockerfile(e.name)) found.push(relative(root, join(dir, e.name)));
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries)
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIPPED.has(e.name)) walk(join(dir, e.name), depth + 1);
  };
  walk(root, 0);
  return found;
}

/** One subject of the config: its name, build context (relative, ./...) and Dockerfile when not the default. */
export interface FoundSubject {
  name: string;
  context: string;
  dockerfile?: string;
}

/** A subject per Dockerfile, named after its folder (and the Dockerfile's own name when not "Dockerfile"). */
export function subjectsOf(root: string, dockerfiles: readonly string[]): FoundSubject[] {
  const taken = new Set<string>();
  return dockerfiles.map((file) => {
    const dir = dirname(file);
    const name = basename(file);
    const folder = dir === '.' ? basename(resolve(root)) : dir;
    const variant = name === 'Dockerfile' ? '' : name.replace(/^Dockerfile\./, '').replace(/\.Dockerfile$/, '');
    let subject = `${folder}${variant ? `-${variant}` : ''}`
      .replace(/[^A-Za-z0-9_./-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '');
    if (!subject) subject = 'image';
    for (let i = 2; taken.has(subject); i++) subject = `${subject.replace(/-\d+$/, '')}-${i}`;
    taken.add(subject);
    return {
      name: subject,
      context: dir === '.' ? '.' : `./${dir}`,
      ...(name === 'Dockerfile' ? {} : { dockerfile: name }),
    };
  });
}

/** The first line that points an editor at a schema shipped with the harness. */
function schemaLine(root: string, file: string, schema: string): string {
  const target = join(projectRoot(), 'docs', 'schemas', schema);
  return `# yaml-language-server: $schema=${relative(dirname(join(root, file)), target)}`;
}

export function configText(root: string, subjects: readonly FoundSubject[]): string {
  const yamlString = (s: string) => (/^[\w./-]+$/.test(s) ? s : JSON.stringify(s));
  return [
    schemaLine(root, 'harness.config.yaml', 'config.schema.json'),
    '# The images of this repository, for `npx harness matrix`: each is built from its',
    '# Dockerfile and run through the battery the gate runs, judged by the default policy.',
    '# Add what a subject needs to run as `docker run` would: env, envFile, cmd, user,',
    '# ready: {log: REGEX} or {port: N}. Keys: docs/config.md.',
    'grace: 10',
    'subjects:',
    ...subjects.flatMap((s) => [
      `  - name: ${yamlString(s.name)}`,
      `    build: {context: ${yamlString(s.context)}${s.dockerfile ? `, dockerfile: ${yamlString(s.dockerfile)}` : ''}}`,
    ]),
    '',
  ].join('\n');
}

export function policyText(root: string): string {
  const policy = readFileSync(join(projectRoot(), 'harness', 'certify', 'default-policy.yaml'), 'utf8');
  return `${schemaLine(root, '.harness/policy.yaml', 'policy.schema.json')}\n${policy}`;
}

/** A workflow that builds each subject's image and certifies it on every pull request. */
export function workflowText(subjects: readonly FoundSubject[]): string {
  // The image built from a subject: its name as a repository name (lowercase).
  const imageOf = (s: FoundSubject) => `harness-ci/${s.name.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-')}:$GITHUB_SHA`;
  const builds = subjects.map(
    (s) =>
      `          sudo docker build -t "${imageOf(s)}"${s.dockerfile ? ` -f "${join(s.context, s.dockerfile)}"` : ''} "${s.context}"`,
  );
  const certify = subjects.map(
    (s) =>
      `          sudo npx --yes container-lifecycle-harness certify "${imageOf(s)}" --dockerfile "${join(s.context, s.dockerfile ?? 'Dockerfile')}" --out "reports/certify/${folderOf(s.name)}" --format json,md,html,sarif || code=1`,
  );
  return `# Written by \`harness init\`: on each pull request, build this repository's images and
# certify them (PID 1, signals, zombies, exit codes, shutdown timing) under the policy in
# .harness/policy.yaml. The reports are kept as an artefact.
name: certify

on:
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

jobs:
  certify:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Set up the engine and the base image
        run: sudo npx --yes container-lifecycle-harness setup
      - name: Build the images
        run: |
${builds.join('\n')}
      - name: Certify them
        run: |
          code=0
${certify.join('\n')}
          exit "$code"
      - name: Keep the reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: certify-reports
          path: reports/certify
`;
}

export async function initCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse('init', argv, initOptions, true);
  if (positionals.length > 1) throw new BadInputError(`init: one folder at most, got ${positionals.length}`);
  const root = resolve(positionals[0] ?? '.');
  if (!existsSync(root) || !lstatSync(root).isDirectory()) throw new BadInputError(`init: ${root} is not a folder`);
  const dockerfiles = findDockerfiles(root);
  if (!dockerfiles.length)
    throw new BadInputError(
      `init: found no Dockerfile under ${root}: harness.config.yaml lists images built from one (or write its subjects by hand: docs/config.md)`,
    );
  const subjects = subjectsOf(root, dockerfiles);
  const files: [string, string][] = [
    ['harness.config.yaml', configText(root, subjects)],
    ['.harness/policy.yaml', policyText(root)],
    ['.github/workflows/certify.yml', workflowText(subjects)],
  ];
  out(
    `found ${subjects.length} Dockerfile(s): ${subjects.map((s) => `${s.name} (${join(s.context, s.dockerfile ?? 'Dockerfile')})`).join(', ')}`,
  );
  for (const [file, text] of files) {
    const path = join(root, file);
    const exists = existsSync(path);
    if (values['dry-run']) {
      out(`--- ${file}${exists ? (values.force ? ' (would replace it)' : ' (exists: kept without --force)') : ''}`);
      out(text.trimEnd());
      continue;
    }
    if (exists && !values.force) {
      out(`kept ${file} (it exists; --force replaces it)`);
      continue;
    }
    if (exists && lstatSync(path).isSymbolicLink())
      throw new BadInputError(`init: ${file} is a symbolic link: not written through`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    out(`${exists ? 'replaced' : 'wrote'} ${file}`);
  }
  return 0;
}
