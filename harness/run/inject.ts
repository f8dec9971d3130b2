import { pack } from 'tar-stream';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { HarnessFaultError } from '../errors.js';
import type { RunningContainer } from './container.js';

/** Where the injected static helper lands inside a container under test. */
const HELPER_DIR = '/.harness';
export const HELPER = `${HELPER_DIR}/busybox`;

const cache = new Map<string, Promise<Buffer>>();

/** The toolbox's static busybox, read once per image (a failed read is tried again next time). */
function busyboxOf(runtime: ContainerRuntime, toolboxImage: string): Promise<Buffer> {
  let busybox = cache.get(toolboxImage);
  if (!busybox) {
    busybox = runtime.readFile(toolboxImage, '/bin/busybox');
    busybox.catch(() => cache.delete(toolboxImage));
    cache.set(toolboxImage, busybox);
  }
  return busybox;
}

/** Start reading the helper now, off the path of the first scenario that injects it. */
export function prefetchHelper(runtime: ContainerRuntime, toolboxImage: string): void {
  void busyboxOf(runtime, toolboxImage);
}

/** A tar holding the static busybox of the toolbox image at .harness/busybox. */
async function helperTar(runtime: ContainerRuntime, toolboxImage: string): Promise<Buffer> {
  const bytes = await busyboxOf(runtime, toolboxImage);
  const p = pack();
  p.entry({ name: HELPER_DIR.slice(1), type: 'directory', mode: 0o755 });
  p.entry({ name: HELPER.slice(1), mode: 0o755 }, bytes);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * Copy a statically linked busybox into the container, so scenarios can act inside
 * images that have no shell or tools of their own. Returns its path.
 */
async function injectHelper(toolboxImage: string, container: RunningContainer): Promise<string> {
  await container.runtime.copyArchive(container.id, await helperTar(container.runtime, toolboxImage), '/');
  return HELPER;
}

/**
 * Exec a short-lived process into the container that orphans a child and exits: the
 * exec'd process's parent is outside the container, so the orphan is re-parented to
 * the container's PID 1, which must reap it when it exits.
 */
export async function injectZombie(
  toolboxImage: string,
  container: RunningContainer,
  childLifeSeconds = 0.2,
): Promise<void> {
  const helper = await injectHelper(toolboxImage, container);
  const r = await container.exec([helper, 'sh', '-c', `${helper} sleep ${childLifeSeconds} & exit 0`], 60_000, {
    detach: true,
  });
  if (r.timedOut) throw new HarnessFaultError('the injected zombie maker did not finish within 60 s');
  if (r.failed) throw new HarnessFaultError(`the injected zombie maker exited ${r.exitCode}`);
}
