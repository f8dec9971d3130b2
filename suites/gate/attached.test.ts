/**
 * A running container handed over by its owner (a started testcontainers container, by
 * its id): the checks act on that very container, never on a copy; a check that does
 * not stop it leaves it running, one that stops it leaves it stopped; the harness never
 * removes it. Started here with the docker CLI, as the owner would have.
 */
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { closeHarness, runCheck } from '../../harness/index.js';

const base = inject('harness').baseImage;
const started: string[] = [];

/** A container started by someone else (network none), as its owner would have. */
async function startOwn(...command: string[]) {
  const r = await execa('docker', [
    'run',
    '-d',
    '--network',
    'none',
    '--label',
    'owner=attached-test',
    base,
    ...command,
  ]);
  const id = r.stdout.trim();
  started.push(id);
  return { id, handle: { getId: () => id, getHost: () => 'localhost', stop: async () => undefined } };
}

const state = async (id: string) =>
  (await execa('docker', ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', id])).stdout.trim();

afterAll(async () => {
  await closeHarness();
  if (started.length) await execa('docker', ['rm', '-f', ...started], { reject: false });
});

describe('checks on a container its owner started', () => {
  it('observes it running, leaves it running, then a stop leaves it stopped and in place', async () => {
    // tini as PID 1: reaps orphans and passes SIGTERM on to sleep, which dies of it.
    const { id, handle } = await startOwn('tini', '--', 'sleep', '600');
    const zombies = await runCheck(handle, 'zombie-reaping');
    expect(zombies.verdict, zombies.reason).toBe('pass');
    expect(zombies.subject).toBe(`${base} (container ${id.slice(0, 12)})`);
    expect(await state(id)).toBe('running 0');
    const stop = await runCheck(handle, 'graceful-stop', { grace: 5 });
    expect(stop.verdict, stop.reason).toBe('pass');
    expect(stop.observed).toMatchObject({ killed: false, exitCode: 143 });
    // Stopped by the check, and still there: the harness removes only what it created.
    expect(await state(id)).toBe('exited 143');
  });

  it('a PID 1 that never waits leaves the orphan a zombie: the failure is this container', async () => {
    const { id, handle } = await startOwn('sleep', '600');
    const o = await runCheck(handle, 'zombie-reaping');
    expect(o.verdict).toBe('fail');
    expect(await state(id)).toBe('running 0');
  });

  it('a container that is not running, or run options for one, is one line of bad input', async () => {
    const { id, handle } = await startOwn('true');
    await execa('docker', ['wait', id]);
    await expect(runCheck(handle, 'pid1')).rejects.toThrow(
      /is not running \(exited\): a check acts on a running container/,
    );
    await expect(runCheck(handle, 'pid1', { env: { A: '1' } })).rejects.toThrow(
      /^a started container runs as it was started: env cannot apply to it/,
    );
  });
});
