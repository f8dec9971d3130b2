import { describe, expect, it } from 'vitest';
import type { Engine } from '../../harness/engine/connect.js';
import { RunInterruptedError, Session } from '../../harness/engine/session.js';

/** An engine that lists what was created and removes on request (no real engine needed for the ordering). */
function recordingEngine(): { engine: Engine; created: string[]; removed: string[] } {
  const created: string[] = [];
  const removed: string[] = [];
  const docker = {
    listContainers: async () => created.filter((id) => !removed.includes(id)).map((Id) => ({ Id })),
    listNetworks: async () => [],
    getContainer: (id: string) => ({ remove: async () => void removed.push(id) }),
  };
  const engine = { docker, info: { kind: 'docker' } } as unknown as Engine;
  return { engine, created, removed };
}

describe('an interrupted run', () => {
  it('waits for the creates in flight, removes them, and refuses new ones', async () => {
    const { engine, created, removed } = recordingEngine();
    const session = Session.attach(engine, 'run-1', process.pid, () => undefined);
    let answer!: () => void;
    // A create the engine is still answering when the interrupt comes.
    const inFlight = session.creating(
      () =>
        new Promise<string>((resolve) => {
          answer = () => {
            created.push('late');
            resolve('late');
          };
        }),
    );
    const teardown = session.interrupt();
    setTimeout(() => answer(), 50);
    await inFlight;
    expect(await teardown).toEqual({ containers: 1, networks: 0 });
    expect(removed).toEqual(['late']);
    await expect(session.creating(async () => 'new')).rejects.toBeInstanceOf(RunInterruptedError);
  });
});
