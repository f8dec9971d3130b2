import { closeSync, constants, fchmodSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { extract } from 'tar-stream';

const { O_DIRECTORY, O_NOFOLLOW, O_RDONLY, O_WRONLY, O_CREAT, O_EXCL } = constants;

/**
 * Open `name` inside the directory open as `dirFd`, never following a symlink: the path
 * goes through /proc/self/fd (the directory itself) and names one component, opened
 * with O_NOFOLLOW. An image's own symlinks (a `/.harness` pointing at a host path) are
 * refused instead of followed on the host's side.
 */
function openIn(dirFd: number, name: string, flags: number, mode?: number): number {
  if (!name || name === '.' || name === '..' || name.includes('/'))
    throw new Error(`refusing to write ${JSON.stringify(name)} into a container`);
  return openSync(`/proc/self/fd/${dirFd}/${name}`, flags | O_NOFOLLOW, mode);
}

/** The directory `parts` below `rootFd`, each component opened (created when `create`) without following a symlink. */
function walk(rootFd: number, parts: string[], create: boolean): number {
  let fd = rootFd;
  for (const part of parts) {
    if (create) {
      try {
        mkdirSync(`/proc/self/fd/${fd}/${part}`, { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const next = openIn(fd, part, O_RDONLY | O_DIRECTORY);
    if (fd !== rootFd) closeSync(fd);
    fd = next;
  }
  return fd;
}

/**
 * Unpack a tar of directories and regular files into a container's root directory as
 * the host sees it (/proc/<pid>/root), without following any symlink the image has: a
 * file that exists already is not overwritten. Other entry types are refused.
 */
export async function copyIntoRoot(root: string, tar: Buffer): Promise<void> {
  const rootFd = openSync(root, O_RDONLY | O_DIRECTORY);
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (d: unknown) => chunks.push(d as Buffer));
      stream.on('end', () => {
        try {
          const parts = header.name.split('/').filter(Boolean);
          if (header.type === 'directory') closeSync(walk(rootFd, parts, true));
          else if (header.type === 'file') {
            const dir = walk(rootFd, parts.slice(0, -1), true);
            try {
              const name = parts.at(-1) ?? '';
              let fd: number;
              try {
                fd = openIn(dir, name, O_WRONLY | O_CREAT | O_EXCL, 0o600);
              } catch (err) {
                if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
                // Replaced, never written through (it may be a symlink).
                unlinkSync(`/proc/self/fd/${dir}/${name}`);
                fd = openIn(dir, name, O_WRONLY | O_CREAT | O_EXCL, 0o600);
              }
              try {
                writeSync(fd, Buffer.concat(chunks));
                fchmodSync(fd, (header.mode ?? 0o644) & 0o755);
              } finally {
                closeSync(fd);
              }
            } finally {
              if (dir !== rootFd) closeSync(dir);
            }
          } else throw new Error(`refusing a ${header.type ?? 'special'} entry in a copy into a container`);
          next();
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(tar);
  try {
    await done;
  } finally {
    closeSync(rootFd);
  }
}
