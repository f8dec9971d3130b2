/**
 * The documentation is read by people and by these tests: the command reference is the
 * help texts, every option a command takes is in its help, every link resolves, and the
 * README stays a front door.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { certifyHelp, certifyOptions } from '../../harness/cli/certify.js';
import { cleanHelp, cleanOptions } from '../../harness/cli/clean.js';
import { initHelp, initOptions } from '../../harness/cli/init.js';
import { doctorHelp, doctorOptions } from '../../harness/cli/doctor.js';
import { matrixHelp, matrixOptions } from '../../harness/cli/matrix.js';
import { podHelp, podOptions } from '../../harness/cli/pod.js';
import { reportHelp, reportOptions } from '../../harness/cli/report.js';
import { setupHelp, setupOptions } from '../../harness/cli/setup.js';
import { GENERATED, RENDERED, withReference } from '../../harness/cli/reference.js';
import { projectRoot } from '../../harness/paths.js';

const root = projectRoot();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('the rendered references', () => {
  it.each(Object.entries(RENDERED))('%s holds what its sources render (`npm run docs`)', async (path, render) => {
    const doc = read(path);
    expect(doc).toBe(withReference(doc, await render()));
  });

  it.each(Object.entries(GENERATED))('%s is what its schema generates (`npm run docs`)', (path, generate) => {
    expect(read(path)).toBe(generate());
  });

  it("the published schemas take docs/config.md's example and the default policy, and refuse a misspelt key", () => {
    const validator = (path: string) =>
      new Ajv({ strict: false }).compile(JSON.parse(read(path)) as Record<string, unknown>);
    const config = validator('docs/schemas/config.schema.json');
    const example = /```yaml\n([\s\S]*?)```/.exec(read('docs/config.md'))?.[1] ?? '';
    expect(config(parseYaml(example)), JSON.stringify(config.errors)).toBe(true);
    expect(config({ subjects: [{ name: 'a', image: 'b', enviroment: {} }] })).toBe(false);
    const policy = validator('docs/schemas/policy.schema.json');
    expect(policy(parseYaml(read('harness/certify/default-policy.yaml'))), JSON.stringify(policy.errors)).toBe(true);
    expect(policy({ gracePeriod: 5 })).toBe(false);
  });

  it.each([
    ['setup', setupOptions, setupHelp],
    ['doctor', doctorOptions, doctorHelp],
    ['matrix', matrixOptions, matrixHelp],
    ['certify', certifyOptions, certifyHelp],
    ['pod run', podOptions, podHelp],
    ['report', reportOptions, reportHelp],
    ['clean', cleanOptions, cleanHelp],
    ['init', initOptions, initHelp],
  ])('every option `harness %s` takes is in its help', (_name, options, help) => {
    const missing = Object.keys(options).filter((o) => !new RegExp(`--${o}\\b`).test(help));
    expect(missing).toEqual([]);
  });
});

/** Every Markdown file of the front door and the reference. */
const documents = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor of a heading. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
const anchorsIn = (text: string) =>
  new Set(
    text
      .replace(/```[\s\S]*?```/g, '')
      .split('\n')
      .filter((l) => /^#+ /.test(l))
      .map((l) => anchorOf(l.replace(/^#+ /, ''))),
  );

describe('the documents', () => {
  it('the README is a front door: about 150 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(160);
  });

  it.each(documents)('every relative link of %s resolves, anchors included', (doc) => {
    const text = read(doc).replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path ? resolve(dirname(join(root, doc)), path) : join(root, doc);
      if (!existsSync(file)) broken.push(`${target}: no such file`);
      else if (anchor && file.endsWith('.md') && !anchorsIn(readFileSync(file, 'utf8')).has(anchor))
        broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it('the README links every document of docs/', () => {
    const readme = read('README.md');
    const unlinked = readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .filter((f) => !readme.includes(`(docs/${f}`));
    expect(unlinked).toEqual([]);
  });
});
