/**
 * A stop that needed SIGKILL says which it was: PID 1 deaf to the stop signal, or PID 1
 * handling it and too slow (its signal masks at readiness tell them apart).
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { closeHarness, runCheck } from '../../harness/index.js';

const base = inject('harness').baseImage;
const python = (program: string) => ['python3', '-c', program];

afterAll(async () => {
  await closeHarness();
});

describe('why a stop needed SIGKILL', () => {
  it('PID 1 handles SIGTERM and never exits: too slow, not deaf', async () => {
    const o = await runCheck(base, 'graceful-stop', {
      grace: 2,
      cmd: python(
        'import signal, time\nsignal.signal(signal.SIGTERM, lambda *a: print("draining", flush=True))\nwhile True: time.sleep(1)',
      ),
    });
    expect(o.verdict).toBe('fail');
    expect(o.observed).toMatchObject({ killed: true, exitCode: 137 });
    expect(o.reason).toMatch(
      /^PID 1 takes the stop signal \(it handles it\), but the container did not exit in time: SIGKILL was needed/,
    );
  });

  it('PID 1 keeps the default disposition (the kernel drops SIGTERM for it): not acted on', async () => {
    const o = await runCheck(base, 'graceful-stop', {
      grace: 2,
      cmd: python('import time\nwhile True: time.sleep(1)'),
    });
    expect(o.verdict).toBe('fail');
    expect(o.observed).toMatchObject({ killed: true, exitCode: 137 });
    expect(o.reason).toMatch(/^the stop signal was not acted on: SIGKILL was needed/);
  });
});
