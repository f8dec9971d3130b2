import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** Label keys put on every object the harness creates. */
export const LABEL = {
  managed: 'io.harness.managed',
  run: 'io.harness.run',
  pid: 'io.harness.pid',
  host: 'io.harness.host',
  purpose: 'io.harness.purpose',
  check: 'io.harness.check',
  variant: 'io.harness.variant',
  image: 'io.harness.image',
  hash: 'io.harness.hash',
  recipe: 'io.harness.recipe',
} as const;

/** The tag the harness gives an image it built: its name and content hash. */
export const builtImageTag = (name: string, hash: string): string => `harness/${name}:${hash}`;

/**
 * Which labels harness-built images carry, part of every image's content hash (and the
 * base image's recipe), so a change here rebuilds them. 2: no run labels on images.
 */
export const IMAGE_LABEL_SCHEME = '2';

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Labels that tie an object to a run owned by process `pid` on this host. */
export function runLabels(runId: string, pid: number, purpose: string): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.run]: runId,
    [LABEL.pid]: String(pid),
    [LABEL.host]: hostname(),
    [LABEL.purpose]: purpose,
  };
}

/** True when `pid` names a live process on this host. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
