#!/usr/bin/env node
// Runs examples/service-check as a team would: the harness packed with `npm pack`,
// installed from the tarball into a copy of the example in a temporary folder, the
// example's images built, its vitest suite run on the good image (must pass) and on
// the bad one (must fail, with the engine's evidence in the message). Then the README's
// library example, copied as written into a new project with no vitest configuration
// (only the image name changed to the good one), must pass. Before them, the installed
// command must set the project up (`npx container-lifecycle-harness init`) and pass the
// good image (`npx container-lifecycle-harness certify`, with the Dockerfile init found).
//
// Offline: the tarball is unpacked as npm installs it, and its dependencies (and
// vitest) are linked from this project's node_modules, so nothing is fetched.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { distState } from '../bin/source-digest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'harness-example-'));
const say = (line) => process.stderr.write(`example: ${line}\n`);

/**
 * Run a command to its end, its output kept (stdout, then stderr), never thrown on.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} [options]
 */
function run(cmd, args, options = {}) {
  const r = $.sync({ quiet: true, nothrow: true, ...options })`${cmd} ${args}`;
  return { code: r.exitCode ?? 1, out: `${r.stdout}${r.stderr}` };
}

try {
  // The package as published: compiled (when dist/ is older than the sources), then
  // packed without running scripts.
  if (!distState(root).current)
    $.sync({ stdio: 'inherit', cwd: root })`${process.execPath} ${join(root, 'scripts', 'build.mjs')}`;
  const packed = run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: root });
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  say(`packed ${tarball}`);

  const project = join(work, 'service-check');
  cpSync(join(root, 'examples', 'service-check'), project, { recursive: true });
  const modules = join(project, 'node_modules');
  const pkg = join(modules, 'container-lifecycle-harness');
  mkdirSync(pkg, { recursive: true });
  $.sync({ quiet: true })`tar xzf ${join(work, tarball)} -C ${pkg} --strip-components=1`;
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name.startsWith('.') || name === 'container-lifecycle-harness') continue;
    if (name.startsWith('@')) {
      mkdirSync(join(modules, name), { recursive: true });
      for (const sub of readdirSync(join(root, 'node_modules', name)))
        symlinkSync(join(root, 'node_modules', name, sub), join(modules, name, sub));
    } else symlinkSync(join(root, 'node_modules', name), join(modules, name));
  }
  // The command, as npm links it.
  mkdirSync(join(modules, '.bin'), { recursive: true });
  symlinkSync(join('..', 'container-lifecycle-harness', 'bin', 'harness.mjs'), join(modules, '.bin', 'harness'));
  say(`installed the tarball in ${project}`);

  const images = run('npm', ['run', '--silent', 'build-images'], { cwd: project });
  if (images.code !== 0) throw new Error(`building the example's images failed:\n${images.out}`);
  say('built example/service:good and example/service:bad');

  // The installed command, as a team starts with it: init finds the service's
  // Dockerfile and writes the config, the policy and a workflow; then the gate certifies
  // the image built from that Dockerfile, cross-checked with it.
  const init = run('npx', ['--offline', 'container-lifecycle-harness', 'init'], { cwd: project });
  process.stdout.write(`--- npx container-lifecycle-harness init: exit ${init.code}\n${init.out}\n`);
  const reports = join(work, 'certify');
  const certify = run(
    'npx',
    [
      '--offline',
      'container-lifecycle-harness',
      'certify',
      'example/service:good',
      '--dockerfile',
      'service/Dockerfile',
      '--ready-log',
      'service ready',
      '--format',
      'json',
      '--out',
      reports,
    ],
    { cwd: project, env: { ...process.env, FORCE_COLOR: '0' } },
  );
  process.stdout.write(
    `--- npx container-lifecycle-harness certify example/service:good: exit ${certify.code}\n${certify.out}\n`,
  );
  const certified = existsSync(join(reports, 'report.json'))
    ? JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')).passed === true
    : false;

  const vitest = (image) =>
    run(process.execPath, [join(modules, 'vitest', 'vitest.mjs'), 'run', '--color=false'], {
      cwd: project,
      env: { ...process.env, SERVICE_IMAGE: image, FORCE_COLOR: '0' },
    });
  const good = vitest('example/service:good');
  process.stdout.write(`--- good image: exit ${good.code}\n${good.out}\n`);
  const bad = vitest('example/service:bad');
  process.stdout.write(`--- bad image: exit ${bad.code}\n${bad.out}\n`);
  const evidence =
    /expected example\/service:bad to stop gracefully[\s\S]*evidence: engine sent signal 15 then signal 9/;

  // The README's block, as a new project would paste it: no config, its own timeout.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## In your own test suite'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ts block under "In your own test suite"');
  const fresh = join(work, 'readme-example');
  mkdirSync(join(fresh, 'test'), { recursive: true });
  writeFileSync(join(fresh, 'package.json'), '{ "name": "readme-example", "private": true, "type": "module" }\n');
  writeFileSync(join(fresh, 'test', 'readme.test.ts'), block.replaceAll('my/api:1.4', 'example/service:good'));
  symlinkSync(modules, join(fresh, 'node_modules'));
  const copied = run(process.execPath, [join(modules, 'vitest', 'vitest.mjs'), 'run', '--color=false'], {
    cwd: fresh,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  process.stdout.write(`--- README example in a new project: exit ${copied.code}\n${copied.out}\n`);

  const initialized =
    init.code === 0 &&
    ['harness.config.yaml', '.harness/policy.yaml', '.github/workflows/certify.yml'].every((f) =>
      existsSync(join(project, f)),
    );
  const ok =
    initialized &&
    certify.code === 0 &&
    certified &&
    good.code === 0 &&
    bad.code === 1 &&
    evidence.test(bad.out) &&
    copied.code === 0;
  say(
    ok
      ? 'the installed command sets the project up and certifies the good image; the good image passes; the bad one fails with the evidence; the README example passes as written'
      : `unexpected: init exit ${init.code}${initialized ? '' : ' (files missing)'}, certify exit ${certify.code}${certified ? '' : ' (no passing report)'}, good exit ${good.code}, bad exit ${bad.code}${evidence.test(bad.out) ? '' : ', no evidence in the failure'}, README example exit ${copied.code}`,
  );
  process.exitCode = ok ? 0 : 1;
} catch (err) {
  say(err instanceof Error ? err.message : String(err));
  process.exitCode = 2;
} finally {
  if (keep) say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
