import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextFiles, contextHash, type ImageSpec } from '../../harness/images/build.js';

function fixture(): ImageSpec {
  const dir = mkdtempSync(join(tmpdir(), 'harness-ctx-'));
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM x\n');
  writeFileSync(join(dir, 'app', 'b.sh'), 'echo b\n');
  writeFileSync(join(dir, 'app', 'a.py'), 'print(1)\n');
  writeFileSync(join(dir, 'unrelated.txt'), 'not in the context\n');
  return { name: 't', contextDir: dir, dockerfile: 'Dockerfile', include: ['app'], purpose: 'test' };
}

describe('build context hash', () => {
  it('lists the Dockerfile and the included files, sorted', () => {
    expect(contextFiles(fixture())).toEqual(['Dockerfile', 'app/a.py', 'app/b.sh']);
  });

  it('is stable, and changes with content, mode, build args and the base id', () => {
    const spec = fixture();
    const h = contextHash(spec, 'sha256:1');
    expect(contextHash(spec, 'sha256:1')).toBe(h);
    expect(contextHash(spec, 'sha256:2')).not.toBe(h);
    expect(contextHash({ ...spec, buildArgs: { A: '1' } }, 'sha256:1')).not.toBe(h);
    writeFileSync(join(spec.contextDir, 'unrelated.txt'), 'changed');
    expect(contextHash(spec, 'sha256:1')).toBe(h);
    chmodSync(join(spec.contextDir, 'app', 'b.sh'), 0o755);
    const executable = contextHash(spec, 'sha256:1');
    expect(executable).not.toBe(h);
    writeFileSync(join(spec.contextDir, 'app', 'a.py'), 'print(2)\n');
    expect(contextHash(spec, 'sha256:1')).not.toBe(executable);
  });
});
