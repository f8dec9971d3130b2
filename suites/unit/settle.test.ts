/**
 * Readiness rests on PID 1 and the processes that live across the window: a
 * supervisor's shell loop making a new `sleep` every second settles; a program started
 * after one pre-start child still has to settle.
 */
import { describe, expect, it } from 'vitest';
import type { ProcessRow, PsSnapshot } from '../../harness/observe/ps.js';
import { restedOn, settledShape, settleReading, SettleTracker } from '../../harness/observe/settle.js';

const proc = (pid: number, ppid: number, comm: string, cgt = '0000000000004000'): ProcessRow => ({
  pid,
  ppid,
  stat: 'S',
  comm,
  args: comm,
  masks: { SigPnd: '0', ShdPnd: '0', SigBlk: '0', SigIgn: '0', SigCgt: cgt, State: 'S', Wchan: 'do_wait' },
});
const snap = (atMs: number, ...processes: ProcessRow[]): PsSnapshot => ({ atMs, processes });

describe('what readiness rests on', () => {
  it('a shell loop child that keeps coming and going is left out once two of its kind are gone', () => {
    const t = new SettleTracker(1000);
    const sup = proc(1, 0, 'supervisord');
    const loop = proc(7, 1, 'sh');
    const keys: string[] = [];
    let pid = 10;
    for (let ms = 0; ms <= 3000; ms += 250) {
      if (ms % 500 === 0) pid++;
      const s = snap(ms, sup, loop, proc(pid, 7, 'sleep'));
      keys.push(settleReading(s, t.see(s)).key);
    }
    // From the third sleep on, the key is PID 1 and the loop alone: it settles.
    expect(new Set(keys.slice(-6))).toEqual(new Set(['1:supervisord:0/0/0000000000004000 7:sh:0/0/0000000000004000']));
    expect(t.churn()).toEqual(['sleep (child of pid 7) came and went 6 times']);
  });

  it('a program started after one pre-start child is in the key at once: it must settle itself', () => {
    const t = new SettleTracker(1000);
    const sh = proc(1, 0, 'bash');
    t.see(snap(0, sh, proc(5, 1, 'python3')));
    const s = snap(100, sh, proc(6, 1, 'python3', '0000000000000000'));
    expect(t.see(s).map((p) => p.pid)).toEqual([1, 6]);
    // It installs its handler: the key changes, so readiness waits on it.
    const before = settleReading(s, t.see(s)).key;
    const after = snap(200, sh, proc(6, 1, 'python3'));
    expect(settleReading(after, t.see(after)).key).not.toBe(before);
  });

  it('a churn process that lives past twice the span counts again', () => {
    const t = new SettleTracker(500);
    const sh = proc(1, 0, 'sh');
    t.see(snap(0, sh, proc(2, 1, 'job')));
    t.see(snap(100, sh, proc(3, 1, 'job')));
    t.see(snap(200, sh, proc(4, 1, 'job')));
    expect(t.see(snap(300, sh, proc(4, 1, 'job'))).map((p) => p.pid)).toEqual([1]);
    expect(t.see(snap(800, sh, proc(4, 1, 'job'))).map((p) => p.pid)).toEqual([1, 4]);
  });

  it('says in one sentence what it rested on', () => {
    expect(
      restedOn([{ ...proc(1, 0, 'supervisord'), exe: 'python3.11' }, proc(7, 1, 'sh')], 612.4, [
        'sleep (child of pid 7) came and went 5 times',
      ]),
    ).toBe(
      'the signal masks of PID 1 (python3.11) and 1 more (sh) unchanged for 612 ms; left out as short-lived: sleep (child of pid 7) came and went 5 times',
    );
  });

  it('the settled shape of another container of the image: the same programs and masks, whatever their pids', () => {
    const first = settledShape([proc(1, 0, 'tini'), proc(7, 1, 'python3')]);
    expect(settledShape([proc(1, 0, 'tini'), proc(9, 1, 'python3')])).toBe(first);
    // A handler not yet installed, or a program not yet started, is another shape.
    expect(settledShape([proc(1, 0, 'tini'), proc(7, 1, 'python3', '0000000000000000')])).not.toBe(first);
    expect(settledShape([proc(1, 0, 'tini')])).not.toBe(first);
    // The program's file name when the observer read it, not the name it gave itself.
    expect(
      settledShape([
        { ...proc(1, 0, 'tini'), exe: 'tini' },
        { ...proc(7, 1, 'nginx'), exe: 'python3' },
      ]),
    ).toBe(first);
  });

  it('says when it rested on what the preflight container settled on', () => {
    expect(restedOn([proc(1, 0, 'tini'), proc(7, 1, 'python3')], 310.2, [], true)).toBe(
      "the signal masks of PID 1 (tini) and 1 more (python3) as the image's preflight container settled on them, seen twice in a row over 310 ms, every process asleep",
    );
  });
});
