import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessFaultError } from './errors.js';

let root: string | undefined;

/**
 * The project root: the nearest folder above this file holding package.json (the same
 * from the TypeScript sources in harness/ and from the compiled dist/harness/).
 */
export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/dist')) {
    const up = dirname(dir);
    if (up === dir) throw new HarnessFaultError('cannot find the harness package root');
    dir = up;
  }
  root = dir;
  return dir;
}
export const imagesDir = (): string => join(projectRoot(), 'images');
/** The package's own reports/ folder: the report schema and the XSD live there. */
export const reportsDir = (): string => join(projectRoot(), 'reports');
/** Where runs write their reports by default: reports/ in the working directory. */
export const outputDir = (): string => join(process.cwd(), 'reports');

/** The harness's state on this machine (its runs, its own containerd): XDG_STATE_HOME or ~/.local/state. */
export function stateDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'container-lifecycle-harness');
}
