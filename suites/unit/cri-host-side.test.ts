/**
 * What the CRI runtime does on the host's side, without a runtime: reading the CRI's
 * log format and times, and copying the injected helper into a container's root
 * without following the image's symlinks (an image that plants `/.harness` as a link
 * to a host path must not make the harness write there).
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { copyIntoRoot } from '../../harness/cri/root-copy.js';
import { criTime, parseCriLog } from '../../harness/runtime/cri.js';
import { engineTimeMs } from '../../harness/observe/clock.js';

const work = mkdtempSync(join(tmpdir(), 'harness-cri-host-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function tarOf(entries: { name: string; body?: string; dir?: boolean }[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries)
    if (e.dir) p.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else p.entry({ name: e.name, mode: 0o755 }, e.body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const helper = () =>
  tarOf([
    { name: '.harness', dir: true },
    { name: '.harness/busybox', body: 'helper' },
  ]);

describe('copyIntoRoot', () => {
  it('writes the helper under a fresh root, executable, and replaces one already there', async () => {
    const root = join(work, 'plain');
    mkdirSync(root);
    await copyIntoRoot(root, await helper());
    await copyIntoRoot(root, await helper());
    expect(readFileSync(join(root, '.harness/busybox'), 'utf8')).toBe('helper');
    expect(lstatSync(join(root, '.harness/busybox')).mode & 0o777).toBe(0o755);
  });

  it('refuses a directory the image made a symlink, and writes nothing where it points', async () => {
    const root = join(work, 'planted-dir');
    const outside = join(work, 'outside-1');
    mkdirSync(root);
    mkdirSync(outside);
    symlinkSync(outside, join(root, '.harness'));
    await expect(copyIntoRoot(root, await helper())).rejects.toThrow();
    expect(readdirSync(outside)).toEqual([]);
  });

  it('replaces a file the image made a symlink instead of writing through it', async () => {
    const root = join(work, 'planted-file');
    const outside = join(work, 'outside-2');
    mkdirSync(join(root, '.harness'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(join(outside, 'target'), join(root, '.harness/busybox'));
    await copyIntoRoot(root, await helper());
    expect(existsSync(join(outside, 'target'))).toBe(false);
    expect(lstatSync(join(root, '.harness/busybox')).isFile()).toBe(true);
  });

  it('refuses a path that climbs out of the root, and entries other than files and folders', async () => {
    const root = join(work, 'climb');
    mkdirSync(root);
    await expect(copyIntoRoot(root, await tarOf([{ name: '../escaped', body: 'x' }]))).rejects.toThrow(
      /refusing to write "\.\."/,
    );
    expect(existsSync(join(work, 'escaped'))).toBe(false);
    const p = pack();
    p.entry({ name: 'link', type: 'symlink', linkname: '/etc/passwd' });
    p.finalize();
    const chunks: Buffer[] = [];
    for await (const c of p as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    await expect(copyIntoRoot(root, Buffer.concat(chunks))).rejects.toThrow(/refusing a symlink entry/);
  });
});

describe("the CRI's log and times", () => {
  it("reads the kubelet's log format, joining the lines the runtime split", () => {
    const text = [
      '2026-12-06T09:00:00.123456789Z stdout F ready pid=1',
      '2026-12-06T09:00:01.000000001Z stderr P a long ',
      '2026-12-06T09:00:01.000000002Z stderr F line',
      'not a log line',
      '2026-12-06T09:00:02Z stdout F ',
    ].join('\n');
    expect(parseCriLog(text)).toEqual([
      { stream: 'stdout', time: '2026-12-06T09:00:00.123456789Z', text: 'ready pid=1' },
      { stream: 'stderr', time: '2026-12-06T09:00:01.000000002Z', text: 'a long line' },
      { stream: 'stdout', time: '2026-12-06T09:00:02Z', text: '' },
    ]);
  });

  it('writes nanoseconds since the epoch as the engine writes its times (the zero time when unset)', () => {
    expect(criTime(0)).toBe('0001-01-01T00:00:00Z');
    const ns = Date.parse('2026-12-06T09:00:00.250Z') * 1e6;
    // A JavaScript number holds nanoseconds since the epoch to about 256 ns.
    expect(criTime(ns)).toMatch(/^2026-12-06T09:00:00\.2(49|50)\d{6}Z$/);
    expect(Math.abs(engineTimeMs(criTime(ns)) - ns / 1e6)).toBeLessThan(0.001);
  });
});
