/**
 * The package as published: what `npm pack` puts in it is what runs (the compiled
 * library and command with their types, the image recipes and pod manifests the
 * harness builds and runs, the schemas and docs), never the sources, suites, scripts,
 * test fixtures or source maps; every entry package.json names is in it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../harness/paths.js';

interface PackageJson {
  private?: boolean;
  name: string;
  version: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  main: string;
  types: string;
}

const root = projectRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
let files: string[] = [];

beforeAll(async () => {
  // The list holds dist/ only once it is built (npm ci builds it: the prepare script).
  if (!existsSync(join(root, 'dist', 'BUILD'))) await execa('node', ['scripts/build.mjs'], { cwd: root });
  const packed = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
}, 120_000);

describe('the published package', () => {
  it('can be published: not private, a semver version', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
  });

  it('holds every entry package.json names, with its types', () => {
    const entries = [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.bin),
      ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
    ].map((p) => p.replace(/^\.\//, ''));
    expect(entries).toEqual(expect.arrayContaining(['dist/harness/index.d.ts', 'dist/harness/vitest.d.ts']));
    expect(entries.filter((e) => !files.includes(e))).toEqual([]);
  });

  it('holds what the command reads at run time', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/harness/cli/main.js',
        'bin/source-digest.mjs',
        'harness/certify/default-policy.yaml',
        'harness/cri/runtime-v1.proto',
        'harness/engine/reaper.mjs',
        'images/base/Dockerfile',
        'images/pods/liveness-restart.yaml',
        'reports/report.schema.json',
        'docs/schemas/pod.schema.json',
        'docs/battery.md',
        'CHANGELOG.md',
      ]),
    );
  });

  it('holds nothing else: no sources, suites, scripts, fixtures or source maps', () => {
    const stray = files.filter(
      (f) =>
        /^(suites|scripts|examples|node_modules|bench|\.ci|\.github)\//.test(f) ||
        f.startsWith('images/certify/') ||
        (/\.ts$/.test(f) && !f.endsWith('.d.ts')) ||
        f.endsWith('.map') ||
        /^tsconfig/.test(f),
    );
    expect(stray).toEqual([]);
  });
});
