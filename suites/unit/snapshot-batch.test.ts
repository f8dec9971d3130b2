import { describe, expect, it } from 'vitest';
import type { ExecResult } from '../../harness/engine/exec.js';
import { parseEach, SnapshotBatcher } from '../../harness/observe/batch.js';

const result = (stdout: string, over: Partial<ExecResult> = {}): ExecResult => ({
  command: 'ps-snapshot --each',
  exitCode: 0,
  timedOut: false,
  failed: false,
  durationMs: 1,
  stdout,
  stderr: '',
  ...over,
});

/** What ps-snapshot --each prints for `targets`: a one-line table each, or exit 3 for pid 9. */
const answer = (targets: string[]) =>
  targets
    .map((t) => {
      const pid = t.split('=')[0] as string;
      return pid === '9' ? `target 9 0\nexit 3\n` : `target ${pid} 2\nns pid:[1]\ntable of ${pid}\nexit 0\n`;
    })
    .join('');

/** A read the test ends by hand, to see what joins which read. */
function manualReads() {
  const calls: { args: string[]; end: () => void }[] = [];
  const batcher = new SnapshotBatcher(
    (args) =>
      new Promise<ExecResult>((resolve) => {
        calls.push({ args, end: () => resolve(result(answer(args))) });
      }),
  );
  return { batcher, calls };
}

describe('parseEach', () => {
  it('reads the blocks in order, with their exit status and lines', () => {
    const parts = parseEach('target 7 2\nns pid:[5]\nself 0\nexit 0\ntarget 8 0\nexit 3\n');
    expect(parts).toEqual([
      { pid: '7', exitCode: 0, stdout: 'ns pid:[5]\nself 0\n' },
      { pid: '8', exitCode: 3, stdout: '' },
    ]);
  });

  it('drops a block cut short (no exit line where its count says)', () => {
    expect(parseEach('target 7 3\nns pid:[5]\nself 0\n')).toEqual([]);
  });
});

describe('SnapshotBatcher', () => {
  it('reads requests made together with one exec, each getting its own part', async () => {
    const { batcher, calls } = manualReads();
    const a = batcher.snapshot(7);
    const b = batcher.snapshot(8, 'pid:[1]');
    expect(calls.map((c) => c.args)).toEqual([['7']]);
    calls[0]?.end();
    // The second request waited for the next read, which holds only it.
    await expect(a).resolves.toMatchObject({ result: { exitCode: 0, stdout: 'ns pid:[1]\ntable of 7\n' } });
    await new Promise((r) => setImmediate(r));
    expect(calls.map((c) => c.args)).toEqual([['7'], ['8=pid:[1]']]);
    calls[1]?.end();
    await expect(b).resolves.toMatchObject({ result: { exitCode: 0, stdout: 'ns pid:[1]\ntable of 8\n' } });
  });

  it('never answers a request with a read that started before it was made', async () => {
    const { batcher, calls } = manualReads();
    const first = batcher.snapshot(7);
    const later = [batcher.snapshot(7), batcher.snapshot(8), batcher.snapshot(9)];
    expect(calls).toHaveLength(1);
    calls[0]?.end();
    const r1 = await first;
    await new Promise((r) => setImmediate(r));
    // Everything asked during the first read is in the second, one entry per target.
    expect(calls[1]?.args).toEqual(['7', '8', '9']);
    calls[1]?.end();
    const [r7, r8, r9] = await Promise.all(later);
    expect(r7?.atMs).toBeGreaterThanOrEqual(r1.atMs);
    expect(r8?.result.stdout).toContain('table of 8');
    // Gone: the exit status of that target alone.
    expect(r9?.result).toMatchObject({ exitCode: 3, failed: true });
    // Two reads answered four requests.
    expect(calls).toHaveLength(2);
  });

  it('a target missing from the answer fails as the read did; a read that throws rejects all its requests', async () => {
    const cut = new SnapshotBatcher(async () => result('target 7 1\n', { timedOut: true, failed: true }));
    await expect(cut.snapshot(7)).resolves.toMatchObject({ result: { failed: true, timedOut: true } });
    const broken = new SnapshotBatcher(async () => {
      throw new Error('engine gone');
    });
    await expect(Promise.all([broken.snapshot(7), broken.snapshot(8)])).rejects.toThrow('engine gone');
  });
});
