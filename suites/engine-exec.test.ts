/**
 * Commands exec'd into a container give execa-shaped results, checked against what the
 * command itself did: every byte of its output, its exit code, the signal it died of,
 * a timeout.
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { RunningContainer } from '../harness/run/container.js';
import { harnessContext } from './support/harness.js';

let container: RunningContainer;

beforeAll(async () => {
  const ctx = await harnessContext();
  container = await RunningContainer.start(ctx.runtime, {
    image: inject('harness').baseImage,
    purpose: 'exec-test',
    entrypoint: ['sleep', 'infinity'],
    cmd: [],
  });
});

afterAll(async () => {
  await container?.remove();
});

describe('exec results', () => {
  it('reads the output to the end of the stream, byte for byte', async () => {
    const before = performance.now();
    const r = await container.exec(['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" a; echo; echo done'], 60_000);
    const around = performance.now() - before;
    expect(r).toMatchObject({ exitCode: 0, failed: false, timedOut: false, signal: undefined, stderr: '' });
    expect(r.stdout).toBe(`${'a'.repeat(300000)}\ndone\n`);
    // Its own measure of the exec (whole wall-clock ms): some time, and no more than the
    // call took around it.
    expect(r.durationMs).toBeGreaterThan(0);
    expect(r.durationMs).toBeLessThanOrEqual(Math.ceil(around) + 1);
    expect(r.command).toBe('sh -c head -c 300000 /dev/zero | tr "\\0" a; echo; echo done');
  });
  it('keeps stdout and stderr apart, with the exit code', async () => {
    const r = await container.exec(['sh', '-c', 'echo out; echo err >&2; exit 4'], 60_000);
    expect(r).toMatchObject({ exitCode: 4, failed: true, timedOut: false, stdout: 'out\n', stderr: 'err\n' });
  });
  it('names the signal a command died of', async () => {
    const r = await container.exec(['sh', '-c', 'kill -KILL $$'], 60_000);
    expect(r).toMatchObject({ exitCode: 137, signal: 'SIGKILL', failed: true, timedOut: false });
  });
  it('says when a command outlived its timeout, with no exit code', async () => {
    const r = await container.exec(['sleep', '30'], 300);
    expect(r).toMatchObject({ timedOut: true, failed: true, exitCode: undefined, signal: undefined });
  });
  it('detached: the exit code, and no output kept', async () => {
    const r = await container.exec(['sh', '-c', 'echo hidden; exit 5'], 60_000, { detach: true });
    expect(r).toMatchObject({ exitCode: 5, failed: true, timedOut: false, stdout: '', stderr: '' });
  });
});

describe('a long-lived exec with its stdin open', () => {
  it('answers line by line and ends when its stdin closes, with its last stderr line', async () => {
    const lines: string[] = [];
    const stream = await container.execStream(
      ['sh', '-c', 'while read l; do echo "got $l"; done; echo "stdin closed" >&2'],
      (line) => lines.push(line),
    );
    expect(stream.writeLine('one')).toBe(true);
    expect(stream.writeLine('two')).toBe(true);
    await expect.poll(() => lines, { timeout: 60_000 }).toEqual(['got one', 'got two']);
    stream.close();
    expect(await stream.ended).toBe('stdin closed');
    expect(stream.writeLine('three')).toBe(false);
  });
});
