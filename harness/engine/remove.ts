import { statusOf, type OnEngine } from './connect.js';

/** Force-remove a container; a container that is already gone (or going) is not an error. */
export async function removeContainer(session: OnEngine, id: string, depth = 0): Promise<void> {
  try {
    await session.engine.docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const s = statusOf(err);
    if (s === 404 || s === 409 || goneOnPodman(err)) return;
    // Podman refuses to remove a container others joined (a sidecar in its PID
    // namespace, a pod's containers in its sandbox's) and names them: those go first.
    const dependents = dependentsNamed(err, id);
    if (!dependents.length || depth > 3) throw err;
    await Promise.all(dependents.map((d) => removeContainer(session, d, depth + 1)));
    await removeContainer(session, id, depth + 1);
  }
}

/**
 * Podman's answer (500, "container state improper") where Docker answers 409: the
 * container is not in a state for this (kill a stopped one, say).
 */
export function stateImproper(err: unknown): boolean {
  return statusOf(err) === 500 && /container state improper/i.test(err instanceof Error ? err.message : String(err));
}

/**
 * Podman's answer (500, "container not known" / "no such container") for a container
 * that a parallel removal took out of its store while it was listed as "Removing".
 */
export function goneOnPodman(err: unknown): boolean {
  return (
    statusOf(err) === 500 &&
    /container not known|no such container/i.test(err instanceof Error ? err.message : String(err))
  );
}

/** The container ids an engine's "has dependent containers" refusal names. */
export function dependentsNamed(err: unknown, id: string): string[] {
  const message = err instanceof Error ? err.message : String(err);
  if (!/dependent containers/i.test(message)) return [];
  const tail = message.slice(message.search(/dependent containers/i));
  return [...new Set(tail.match(/\b[0-9a-f]{64}\b/g) ?? [])].filter((d) => !id.startsWith(d) && !d.startsWith(id));
}
