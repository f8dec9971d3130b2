import type { Readable } from 'node:stream';
import { statusOf, type OnEngine } from './connect.js';

/** What the harness reads of an image. */
export interface ImageFacts {
  id: string;
  labels: Record<string, string>;
}

/** The image's id and labels, or undefined when there is no such image. */
export async function inspectImage(session: OnEngine, ref: string): Promise<ImageFacts | undefined> {
  try {
    const info = await session.engine.docker.getImage(ref).inspect();
    return { id: info.Id, labels: info.Config?.Labels ?? {} };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** How an image runs unless told otherwise: its entrypoint, command, user and stop signal. */
export interface ImageRunConfig {
  entrypoint: string[];
  cmd: string[];
  user: string;
  /** As declared ('' when the image declares none). */
  stopSignal: string;
}

export async function imageRunConfig(session: OnEngine, ref: string): Promise<ImageRunConfig> {
  const info = await session.engine.docker.getImage(ref).inspect();
  const cfg = info.Config as
    { Entrypoint?: string[] | string | null; Cmd?: string[] | null; User?: string; StopSignal?: string } | undefined;
  return {
    entrypoint: [cfg?.Entrypoint ?? []].flat(),
    cmd: cfg?.Cmd ?? [],
    user: cfg?.User ?? '',
    stopSignal: cfg?.StopSignal ?? '',
  };
}

export async function imageId(session: OnEngine, ref: string): Promise<string | undefined> {
  return (await inspectImage(session, ref))?.id;
}

export interface BuildRequest {
  contextDir: string;
  files: string[];
  tag: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
}

/**
 * Build an image; resolves to the build's output lines and, when it failed, the
 * engine's one-line reason. Parents are always local: the engine never tries a registry.
 */
export async function buildImage(session: OnEngine, req: BuildRequest): Promise<{ lines: string[]; failure?: string }> {
  const docker = session.engine.docker;
  const stream = await docker.buildImage(
    { context: req.contextDir, src: req.files },
    {
      t: req.tag,
      dockerfile: req.dockerfile,
      buildargs: req.buildArgs,
      labels: req.labels,
      rm: true,
      forcerm: true,
      pull: false,
    },
  );
  const lines: string[] = [];
  let failure: string | undefined;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err) => (err ? reject(err) : resolve()),
      (msg: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (msg.stream) lines.push(...msg.stream.replace(/\n$/, '').split('\n'));
        if (msg.error) failure = msg.errorDetail?.message ?? msg.error;
      },
    );
  }).catch((err: unknown) => {
    failure ??= err instanceof Error ? err.message : String(err);
  });
  return { lines, failure };
}

export async function tagImage(session: OnEngine, ref: string, repo: string, tag: string): Promise<void> {
  await session.engine.docker.getImage(ref).tag({ repo, tag });
}

/** Remove an image; one already gone is not an error. */
export async function removeImage(session: OnEngine, ref: string): Promise<void> {
  try {
    await session.engine.docker.getImage(ref).remove({ force: true });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}

/** Import a root filesystem tarball as an image `repo:tag`. */
export async function importImage(session: OnEngine, tar: Readable, repo: string, tag: string): Promise<void> {
  const docker = session.engine.docker;
  const stream = await docker.importImage(tar, { repo, tag });
  const events = await new Promise<{ status?: string; id?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err, out: { status?: string; id?: string }[] = []) =>
      err ? reject(err) : resolve(out),
    ),
  );
  if (await imageId(session, `${repo}:${tag}`)) return;
  // Podman's compatible API names an import repo:latest whatever the tag asked for:
  // tag the imported image by the id its stream gave.
  const id = events
    .map((e) => e?.id ?? e?.status ?? '')
    .reverse()
    .find((x) => /^(sha256:)?[0-9a-f]{12,64}$/.test(x.trim()));
  if (!id) throw new Error(`the import of ${repo}:${tag} gave no image id`);
  await tagImage(session, id.trim(), repo, tag);
  // Drop the stray repo:latest name (the image keeps its other name).
  await session.engine.docker
    .getImage(`${repo}:latest`)
    .remove()
    .catch(() => undefined);
}

/**
 * Pull an image, giving up after `timeoutMs`. Resolves to null on success, or to the
 * one-line reason it could not be pulled (no registry, unknown image, timeout).
 */
export async function pullImage(session: OnEngine, ref: string, timeoutMs: number): Promise<string | null> {
  const docker = session.engine.docker;
  let timer: NodeJS.Timeout | undefined;
  try {
    const stream = await docker.pull(ref);
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      docker.modem.followProgress(
        stream,
        (err, events: { error?: string; errorDetail?: { message?: string } }[] = []) => {
          // Podman's compatible API can end a failed pull's stream without an error
          // event dockerode recognises: its last message then names the failure.
          const failed = events.find((e) => e?.error || e?.errorDetail?.message);
          if (err) reject(err);
          else if (failed) reject(new Error(failed.error ?? failed.errorDetail?.message));
          else resolve();
        },
      );
    });
    // Trust only the image being there afterwards.
    if (!(await imageId(session, ref))) return 'the engine reported the pull done, but the image is not there';
    return null;
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    return message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
  } finally {
    clearTimeout(timer);
  }
}

/** The image as `docker save` writes it: a tar stream of its layers and config. */
export function saveImage(session: OnEngine, ref: string): Promise<NodeJS.ReadableStream> {
  return session.engine.docker.getImage(ref).get();
}
