import type { Session } from '../engine/session.js';

/**
 * Pull an image, giving up after `timeoutMs`. Resolves to null on success, or to the
 * one-line reason it could not be pulled (no registry, unknown image, timeout).
 */
export async function pullImage(session: Session, ref: string, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const stream = await session.docker.pull(ref);
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      session.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()));
    });
    return null;
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    return message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
  } finally {
    clearTimeout(timer);
  }
}
