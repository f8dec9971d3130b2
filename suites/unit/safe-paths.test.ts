import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderOf } from '../../harness/safe-paths.js';
import { loadConfig } from '../../harness/config.js';
import { policyFrom } from '../../harness/certify/policy.js';
import { readDockerfile } from '../../harness/certify/dockerfile.js';
import { insideFolder, writeInside } from '../../harness/safe-paths.js';
import { imageRefProblem } from '../../harness/certify/image-ref.js';
import { didYouMean } from '../../harness/cli/suggest.js';

const dir = () => mkdtempSync(join(tmpdir(), 'harness-paths-'));

describe('paths in a config or policy stay in its folder', () => {
  it('an env file outside the folder, by .. or by a symlink, is refused in one line', () => {
    const d = dir();
    writeFileSync(join(d, 'ok.env'), 'A=1\n');
    symlinkSync('/proc/self/environ', join(d, 'sneaky.env'));
    const policy = join(d, 'policy.yaml');
    expect(policyFrom({ run: { envFile: 'ok.env' } }, policy).run.env).toEqual({ A: '1' });
    expect(() => policyFrom({ run: { envFile: 'sneaky.env' } }, policy)).toThrow(
      `invalid policy ${policy}: key "run.envFile": sneaky.env is outside ${d}`,
    );
    expect(() => policyFrom({ run: { envFile: '../../etc/passwd' } }, policy)).toThrow(/is outside/);
  });

  it("a config's build context cannot leave its folder", () => {
    const d = dir();
    const file = join(d, 'harness.config.yaml');
    writeFileSync(file, 'subjects:\n  - name: x\n    build:\n      context: ..\n');
    expect(() => loadConfig(file)).toThrow(/key "subjects\.0\.build\.context": \.\. is outside/);
  });

  it('a Dockerfile COPY source outside the build context is refused, as docker build refuses it', () => {
    const d = dir();
    mkdirSync(join(d, 'ctx'));
    writeFileSync(join(d, 'secret.sh'), '#!/bin/sh\necho host file\n');
    writeFileSync(join(d, 'ctx', 'Dockerfile'), 'FROM x\nCOPY ../secret.sh /run.sh\nENTRYPOINT ["/run.sh"]\n');
    expect(() => readDockerfile(join(d, 'ctx', 'Dockerfile'))).toThrow(
      /COPY source in the Dockerfile: \.\.\/secret\.sh is outside/,
    );
  });
});

describe('writes', () => {
  it('never go through a symlink or out of their folder', () => {
    const d = dir();
    const outside = join(d, 'outside.txt');
    writeFileSync(outside, 'untouched');
    mkdirSync(join(d, 'copy'));
    symlinkSync(outside, join(d, 'copy', 'entrypoint.sh'));
    symlinkSync(d, join(d, 'copy', 'up'));
    writeInside(join(d, 'copy'), 'entrypoint.sh', 'patched');
    expect(readFileSync(outside, 'utf8')).toBe('untouched');
    expect(readFileSync(join(d, 'copy', 'entrypoint.sh'), 'utf8')).toBe('patched');
    expect(() => writeInside(join(d, 'copy'), '../x', 'no')).toThrow(/outside/);
    expect(() => writeInside(join(d, 'copy'), 'up/x', 'no')).toThrow(/outside/);
    expect(existsSync(join(d, 'x'))).toBe(false);
    expect(insideFolder(d, 'copy', 'x')).toBe(join(d, 'copy'));
  });

  it('a report folder named after an image is never . or ..', () => {
    expect(folderOf('..')).toBe('__');
    expect(folderOf('.')).toBe('_');
    expect(folderOf('my/api:1.4')).toBe('my_api_1.4');
  });
});

describe('image references, checked before any engine work', () => {
  it.each([
    ['harness/tini:1', null],
    ['docker.io/library/debian:bookworm-slim', null],
    ['localhost:5000/team/app@sha256:' + 'a'.repeat(64), null],
    ['registry.Example.com/app:1', null],
    ['5c05cf1ca37c', null],
    ['my_app__x-y.z', null],
    ['harness/Sample-tini:1', 'repository names are lowercase'],
    ['my image', 'it contains white space'],
    ['app:', 'it does not follow [registry/]name[:tag][@digest]'],
    ['', 'it is empty'],
  ])('%j: %j', (ref, problem) => {
    expect(imageRefProblem(ref)).toBe(problem);
  });
});

describe('did you mean', () => {
  it('names the command or option a typo was close to, and nothing for a stranger', () => {
    expect(didYouMean('cerify', ['certify', 'matrix', 'pod'])).toBe('certify');
    expect(didYouMean('gace', ['grace', 'env', 'json'])).toBe('grace');
    expect(didYouMean('bogus', ['certify', 'matrix', 'doctor'])).toBeUndefined();
  });
});
