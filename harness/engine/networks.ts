import { statusOf } from './connect.js';
import type { Session } from './session.js';

/**
 * An engine network created with `--internal`: containers on it reach each other and
 * nothing else (no route off the machine). Labelled with the run, so teardown and the
 * reaper remove it with the run's containers.
 */
export async function createInternalNetwork(session: Session, name: string, purpose: string): Promise<string> {
  const network = await session.creating(() =>
    session.engine.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Internal: true,
      CheckDuplicate: true,
      Labels: session.labels(purpose),
    }),
  );
  return network.id;
}

/** A container's address on a named network ('' when it is not attached). */
export async function addressOn(session: Session, containerId: string, network: string): Promise<string> {
  const info = await session.engine.docker.getContainer(containerId).inspect();
  return info.NetworkSettings.Networks[network]?.IPAddress ?? '';
}

/** Remove a network; one already gone is fine. */
export async function removeNetwork(session: Session, id: string): Promise<void> {
  try {
    await session.engine.docker.getNetwork(id).remove();
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}
