import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BadInputError } from './errors.js';

/**
 * A path a config or policy file names (an env file, a build context), resolved in that
 * file's folder and refused unless it stays there once every symlink is followed: a
 * pull request's config cannot point the harness at /proc/self/environ or at a folder
 * outside the repository.
 */
export function insideFolder(folder: string, given: string, what: string): string {
  const root = realpathOr(folder);
  const target = resolve(folder, given);
  const real = realpathOr(target);
  if (!within(root, real))
    throw new BadInputError(`${what}: ${given} is outside ${folder} (paths in it must stay in its folder)`);
  return target;
}

/** Whether `path` is `root` or below it. */
export function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of `path`; a missing one keeps its name (its reading fails later, with its own error). */
export function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Write `body` to `rel` inside `root`, never through a symlink and never outside it (a
 * build context copied for --verify-fix can hold symlinks to anywhere on the host).
 */
export function writeInside(root: string, rel: string, body: string): void {
  const target = resolve(root, rel);
  const realRoot = realpathSync(root);
  if (!within(resolve(root), target) || !within(realRoot, realpathOr(dirname(target))))
    throw new BadInputError(`${rel} is outside the folder it is written in (${root})`);
  rmSync(target, { force: true });
  writeFileSync(target, body, { flag: 'wx' });
}

/**
 * A folder only this user can use, under the system's temporary folder: made fresh
 * (mkdtemp) when `name` ends in "-", else `name` itself, which must then be a real
 * folder (no symlink) owned by this user and open to no one else. Fixed names under /tmp
 * are shared with every user: a symlink planted there would otherwise make the harness
 * (often root) write through it.
 */
export function privateTempDir(name: string): string {
  if (name.endsWith('-')) return mkdtempSync(join(tmpdir(), name));
  const dir = join(tmpdir(), name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (statSync(dir).mode & 0o077) !== 0)
    throw new BadInputError(
      `${dir} is not a private folder of this user (a symlink, another owner, or open to others): remove it`,
    );
  return dir;
}

/** The report folder of an image: its name made safe, never "." or ".." (a folder above reports/certify/). */
export const folderOf = (image: string): string => {
  const name = image.replace(/[^A-Za-z0-9_.-]+/g, '_');
  return /^\.*$/.test(name) ? name.replace(/\./g, '_') || '_' : name;
};
