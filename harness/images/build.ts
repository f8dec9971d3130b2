import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { BuildFailedError } from '../errors.js';
import { buildImage, imageId } from '../engine/images.js';
import { builtImageTag, IMAGE_LABEL_SCHEME, LABEL } from '../engine/labels.js';
import type { Session } from '../engine/session.js';
import type { Logger } from '../log.js';
import { elapsedMs, monotonicMs } from '../observe/clock.js';

/** An image the harness builds from a folder of its own. */
export interface ImageSpec {
  /** Short name; the tag is `harness/<name>:<content hash>`. */
  name: string;
  /** Build context root (absolute). */
  contextDir: string;
  /** Dockerfile path relative to contextDir. */
  dockerfile: string;
  /** Files or folders (relative to contextDir) sent as the context besides the Dockerfile. */
  include: string[];
  buildArgs?: Record<string, string>;
  /** What the image is for (a label and the progress line). */
  purpose: string;
  /** Image id or tag of the parent, passed as build arg BASE and hashed by id. */
  base?: string;
  /** Extra image labels. */
  labels?: Record<string, string>;
}

export interface BuiltImage {
  name: string;
  tag: string;
  id: string;
  cached: boolean;
  durationMs: number;
}

function listFiles(root: string, path: string): string[] {
  const full = join(root, path);
  if (statSync(full).isDirectory()) {
    return readdirSync(full)
      .sort()
      .flatMap((entry) => listFiles(root, join(path, entry)));
  }
  return [relative(root, full).split(sep).join('/')];
}

/** Every file of the context, sorted, Dockerfile included. */
export function contextFiles(spec: ImageSpec): string[] {
  const files = new Set([spec.dockerfile, ...spec.include.flatMap((p) => listFiles(spec.contextDir, p))]);
  return [...files].sort();
}

/** Hash of everything that decides the image's content: files, modes, args, parent id. */
export function contextHash(spec: ImageSpec, baseId: string | undefined): string {
  const h = createHash('sha256');
  h.update(`dockerfile\0${spec.dockerfile}\0`);
  for (const file of contextFiles(spec)) {
    const full = join(spec.contextDir, file);
    h.update(`file\0${file}\0${statSync(full).mode & 0o111 ? 'x' : '-'}\0`);
    h.update(readFileSync(full));
    h.update('\0');
  }
  for (const [k, v] of Object.entries(spec.buildArgs ?? {}).sort()) h.update(`arg\0${k}=${v}\0`);
  h.update(`base\0${baseId ?? ''}\0labels\0${IMAGE_LABEL_SCHEME}\0`);
  return h.digest('hex').slice(0, 16);
}

/** The output of the step that failed: from the last "Step N/M" line to the end. */
export function failingStepOutput(lines: string[]): string {
  let start = 0;
  lines.forEach((line, i) => {
    if (/^Step \d+\/\d+ :/.test(line) || /^#\d+ \[/.test(line)) start = i;
  });
  return lines.slice(start).join('\n').trimEnd();
}

/** Build (or find cached) the image for `spec`; never rebuilds unchanged content. */
export async function ensureImage(session: Session, spec: ImageSpec, log: Logger): Promise<BuiltImage> {
  const started = monotonicMs();
  const baseId = spec.base ? await imageId(session, spec.base) : undefined;
  if (spec.base && !baseId) {
    throw new BuildFailedError(`cannot build ${spec.name}: its base image ${spec.base} does not exist`);
  }
  const hash = contextHash(spec, baseId);
  const tag = builtImageTag(spec.name, hash);
  const existing = await imageId(session, tag);
  if (existing) {
    log(`image ${spec.name}: cached (${tag})`);
    return { name: spec.name, tag, id: existing, cached: true, durationMs: elapsedMs(started) };
  }
  log(`image ${spec.name}: building ${tag}`);
  const { lines, failure } = await buildImage(session, {
    contextDir: spec.contextDir,
    files: contextFiles(spec),
    tag,
    dockerfile: spec.dockerfile,
    buildArgs: { ...(spec.buildArgs ?? {}), ...(spec.base ? { BASE: spec.base } : {}) },
    // What the image is, never whose run made it: an image's labels pass to every
    // container started from it, and the run labels mark containers for sweeping.
    labels: {
      [LABEL.purpose]: spec.purpose,
      ...spec.labels,
      [LABEL.image]: spec.name,
      [LABEL.hash]: hash,
    },
  });
  if (failure !== undefined) {
    throw new BuildFailedError(`building ${spec.name} failed: ${failure.split('\n')[0]}`, {
      detail: failingStepOutput(lines),
    });
  }
  const id = await imageId(session, tag);
  if (!id) throw new BuildFailedError(`building ${spec.name} reported success but ${tag} does not exist`);
  const durationMs = elapsedMs(started);
  log(`image ${spec.name}: built in ${(durationMs / 1000).toFixed(1)} s`);
  return { name: spec.name, tag, id, cached: false, durationMs };
}
