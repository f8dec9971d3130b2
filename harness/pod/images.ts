import type { Container } from 'kubernetes-types/core/v1.js';
import { StartCancelledError } from '../errors.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { goDuration, MESSAGES, type Timeline } from './events.js';
import type { Backoff } from './backoff.js';

/** How long a pull may take before it counts as failed (the runtime's answer, or this). */
const PULL_TIMEOUT_MS = 60_000;

/** A container's image could not be made present: the waiting reason and message its status shows. */
export class ImageError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The image pull policy in effect (apis/core/v1/defaults.go SetDefaults_Container):
 * the container's, or Always for an image tagged `latest` or not tagged at all (and
 * not pinned by digest), else IfNotPresent.
 */
export function pullPolicy(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy === 'Always' || c.imagePullPolicy === 'IfNotPresent' || c.imagePullPolicy === 'Never')
    return c.imagePullPolicy;
  const image = c.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * The kubelet's image manager (pkg/kubelet/images/image_manager.go EnsureImageExists),
 * its events in the kubelet's words: an image present and not to be pulled is
 * "already present on machine"; Never and absent is ErrImageNeverPull; otherwise it is
 * pulled ("Pulling image", then "Successfully pulled image" or "Failed to pull image"
 * and ErrImagePull), and a pull that failed is not tried again until its back-off has
 * passed (10 s doubling to 300 s, as for restarts): ImagePullBackOff meanwhile.
 */
export class ImagePuller {
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly emit: Timeline['emit'],
    private readonly backoff: Backoff,
    private readonly now: () => number,
  ) {}

  /**
   * When the pod worker syncs a container whose pull failed (timeline ms), or []: about
   * half-way through the back-off (the kubelet's worker requeues a failed sync and
   * finds the image backing off: ImagePullBackOff), and at its end (the next pull).
   */
  retries(c: Container): number[] {
    const at = this.failedAt.get(this.key(c));
    if (at === undefined) return [];
    const end = at + this.backoff.get(this.key(c));
    return at + (end - at) / 2 > this.now() ? [at + (end - at) / 2, end] : [end];
  }

  private key(c: Container): string {
    return `${c.name}/${c.image ?? ''}`;
  }

  /**
   * Make `c`'s image present, or throw an ImageError. Once `deletion` aborts (the pod's
   * deletion began while the runtime was asked), nothing more is done or said: a
   * StartCancelledError.
   */
  async ensure(c: Container, deletion?: AbortSignal): Promise<void> {
    const image = c.image ?? '';
    const policy = pullPolicy(c);
    const present = !!(await this.runtime.imageId(image));
    if (deletion?.aborted) throw new StartCancelledError(`container ${c.name}`);
    if (policy !== 'Always' && present) {
      this.emit('Normal', 'Pulled', c.name, MESSAGES.pulled(image));
      return;
    }
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      this.emit('Warning', 'ErrImageNeverPull', c.name, message);
      throw new ImageError('ErrImageNeverPull', message);
    }
    const key = this.key(c);
    const failedAt = this.failedAt.get(key);
    if (failedAt !== undefined && this.backoff.isInBackOffSince(key, failedAt)) {
      const message = `Back-off pulling image "${image}"`;
      this.emit('Normal', 'BackOff', c.name, message);
      throw new ImageError('ImagePullBackOff', message);
    }
    this.emit('Normal', 'Pulling', c.name, `Pulling image "${image}"`);
    const t0 = this.now();
    const failure = await this.runtime.pull(image, PULL_TIMEOUT_MS);
    if (deletion?.aborted) throw new StartCancelledError(`container ${c.name}`);
    if (failure) {
      const at = this.now();
      this.backoff.next(key, at);
      this.failedAt.set(key, at);
      const message = `Failed to pull image "${image}": ${failure}`;
      this.emit('Warning', 'Failed', c.name, message);
      throw new ImageError('ErrImagePull', message);
    }
    this.failedAt.delete(key);
    const took = goDuration(this.now() - t0);
    this.emit(
      'Normal',
      'Pulled',
      c.name,
      `Successfully pulled image "${image}" in ${took} (${took} including waiting)`,
    );
  }
}
