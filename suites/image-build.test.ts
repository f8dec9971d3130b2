/** Image builds against the engine: content-hash caching and failing builds. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { BuildFailedError } from '../harness/errors.js';
import { removeImage } from '../harness/engine/images.js';
import { ensureImage, type ImageSpec } from '../harness/images/build.js';
import { silentLogger } from '../harness/log.js';
import { harnessContext } from './support/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'harness-build-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spec(name: string, dockerfile: string): ImageSpec {
  writeFileSync(join(dir, `${name}.Dockerfile`), dockerfile);
  return {
    name: `test-${name}`,
    contextDir: dir,
    dockerfile: `${name}.Dockerfile`,
    include: [],
    purpose: 'test-image',
    base: inject('harness').baseImage,
  };
}

describe('image builds', () => {
  it("a failing RUN step's own output is in the error", async () => {
    const { session } = await harnessContext();
    const marker = `marker-${process.pid}-${Date.now()}`;
    const failing = spec(
      'failing',
      `ARG BASE\nFROM \${BASE}\nRUN echo "${marker} on stdout" && echo "${marker} on stderr" >&2 && exit 7\n`,
    );
    const err = await ensureImage(session, failing, silentLogger).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailedError);
    const e = err as BuildFailedError;
    expect(e.message).toMatch(/returned a non-zero code: 7/);
    expect(e.detail).toContain(`${marker} on stdout`);
    expect(e.detail).toContain(`${marker} on stderr`);
  });

  it('an unchanged context is not rebuilt; a changed one is', async () => {
    const { session } = await harnessContext();
    const content = `ARG BASE\nFROM \${BASE}\nRUN echo built-${Date.now()} > /built\n`;
    const first = await ensureImage(session, spec('cache', content), silentLogger);
    const second = await ensureImage(session, spec('cache', content), silentLogger);
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.id).toBe(first.id);
    const changed = await ensureImage(session, spec('cache', `${content}RUN true\n`), silentLogger);
    expect(changed.cached).toBe(false);
    expect(changed.tag).not.toBe(first.tag);
    for (const img of [first, changed]) await removeImage(session, img.id);
  });
});
