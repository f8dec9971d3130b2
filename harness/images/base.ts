import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { SetupError } from '../errors.js';
import { aptInstall, isRoot } from '../engine/bringup.js';
import { IMAGE_LABEL_SCHEME, LABEL } from '../engine/labels.js';
import type { Session } from '../engine/session.js';
import type { Logger } from '../log.js';
import { elapsedMs, monotonicMs } from '../observe/clock.js';
import { imagesDir } from '../paths.js';
import { contextFiles, ensureImage, type ImageSpec } from './build.js';
import { imageId, importImage, inspectImage, pullImage, tagImage } from '../engine/images.js';

const BASE_PACKAGES = [
  'bash',
  'procps',
  'python3',
  'tini',
  'dumb-init',
  'catatonit',
  'busybox-static',
  'python3-grpcio',
  'supervisor',
  'python3-gunicorn',
];
const SUITE = 'bookworm';
const SLIM = 'debian:bookworm-slim';
const PULL_TIMEOUT_MS = 20_000;

export function baseImageTag(env: NodeJS.ProcessEnv = process.env): string {
  return env.HARNESS_BASE_IMAGE || 'harness/base:bookworm';
}

const baseDir = (): string => join(imagesDir(), 'base');

/** Hash of what decides the base's content: suite, packages and the recipe folder. */
export function baseRecipeHash(): string {
  const h = createHash('sha256');
  h.update(`${SUITE}\0${BASE_PACKAGES.join(',')}\0labels ${IMAGE_LABEL_SCHEME}\0`);
  for (const f of contextFiles({
    name: 'base',
    contextDir: baseDir(),
    dockerfile: 'Dockerfile',
    include: ['.'],
    purpose: '',
  })) {
    h.update(`${f}\0`).update(readFileSync(join(baseDir(), f)));
  }
  return h.digest('hex').slice(0, 16);
}

export interface BaseImage {
  tag: string;
  id: string;
  cached: boolean;
  route: 'cached' | 'slim' | 'debootstrap';
  durationMs: number;
}

/** The Debian mirror apt already uses on this machine, else deb.debian.org. */
function debianMirror(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HARNESS_DEBIAN_MIRROR) return env.HARNESS_DEBIAN_MIRROR;
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const m =
      /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+\S+/m.exec(text);
    if (m?.[1]) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

async function slimAvailable(session: Session, log: Logger): Promise<{ ok: boolean; why: string }> {
  if (await imageId(session, SLIM)) return { ok: true, why: `${SLIM} is present locally` };
  const failure = await pullImage(session, SLIM, PULL_TIMEOUT_MS);
  if (!failure) return { ok: true, why: `${SLIM} was pulled` };
  log(`cannot pull ${SLIM}: ${failure.slice(0, 160)}`);
  return { ok: false, why: `${SLIM} is not present and cannot be pulled` };
}

async function bootstrapRootfs(session: Session, recipe: string, log: Logger): Promise<string> {
  if (!isRoot()) throw new SetupError('bootstrapping the base image offline needs root: run `sudo npx harness setup`');
  const present = (await execa('sh', ['-c', 'command -v debootstrap'], { reject: false })).exitCode === 0;
  if (!present) await aptInstall(['debootstrap'], log);
  const dir = mkdtempSync(join(tmpdir(), 'harness-rootfs-'));
  const mirror = debianMirror();
  try {
    log(`debootstrap ${SUITE} (minbase + ${BASE_PACKAGES.join(', ')}) from ${mirror}: about a minute`);
    const r = await execa(
      'debootstrap',
      ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, SUITE, dir, mirror],
      { reject: false, all: true },
    );
    if (r.exitCode !== 0) {
      throw new SetupError(`debootstrap failed (exit ${r.exitCode})`, {
        detail: r.all?.split('\n').slice(-20).join('\n'),
      });
    }
    // Package caches are dead weight in every image built on top.
    rmSync(join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
    rmSync(join(dir, 'var/lib/apt/lists'), { recursive: true, force: true });
    const repo = 'harness/base-rootfs';
    const tar = execa('tar', ['-C', dir, '--numeric-owner', '-cf', '-', '.'], { buffer: false, stdout: 'pipe' });
    await importImage(session, tar.stdout as Readable, repo, recipe);
    await tar;
    return `${repo}:${recipe}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Make sure the base image exists and matches its recipe. Route 1 builds it from
 * debian:bookworm-slim when that can be had; route 2 bootstraps it offline.
 */
export async function ensureBaseImage(session: Session, log: Logger): Promise<BaseImage> {
  const started = monotonicMs();
  const tag = baseImageTag();
  const recipe = baseRecipeHash();
  const found = await inspectImage(session, tag);
  if (found) {
    if (found.labels[LABEL.recipe] === recipe || process.env.HARNESS_BASE_IMAGE) {
      log(`base image ${tag}: cached`);
      return { tag, id: found.id, cached: true, route: 'cached', durationMs: elapsedMs(started) };
    }
    log(`base image ${tag}: its recipe changed, rebuilding`);
  }
  const slim = await slimAvailable(session, log);
  const route = slim.ok ? 'slim' : 'debootstrap';
  log(
    slim.ok
      ? `base image: route 1 (${slim.why}): installing packages on top of it`
      : `base image: route 2, offline bootstrap (${slim.why})`,
  );
  let spec: ImageSpec;
  if (slim.ok) {
    spec = {
      name: 'base',
      contextDir: baseDir(),
      dockerfile: 'Dockerfile.slim',
      include: [],
      buildArgs: { PACKAGES: BASE_PACKAGES.join(' ') },
      purpose: 'base-image',
      labels: { [LABEL.recipe]: recipe },
    };
  } else {
    const rootfs = await bootstrapRootfs(session, recipe, log);
    spec = {
      name: 'base',
      contextDir: baseDir(),
      dockerfile: 'Dockerfile',
      include: [],
      base: rootfs,
      purpose: 'base-image',
      labels: { [LABEL.recipe]: recipe },
    };
  }
  const built = await ensureImage(session, spec, log);
  const [repo, version] = splitTag(tag);
  await tagImage(session, built.id, repo, version);
  log(`base image ${tag}: ready in ${(elapsedMs(started) / 1000).toFixed(1)} s`);
  return { tag, id: built.id, cached: false, route, durationMs: elapsedMs(started) };
}

function splitTag(ref: string): [string, string] {
  const i = ref.lastIndexOf(':');
  if (i > ref.lastIndexOf('/')) return [ref.slice(0, i), ref.slice(i + 1)];
  return [ref, 'latest'];
}
