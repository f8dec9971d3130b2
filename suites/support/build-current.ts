import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths.js';
// @ts-expect-error: a plain JavaScript module of the bin folder
import { sourceDigest } from '../../bin/source-digest.mjs';

/**
 * Suites that start the `harness` command test what users run: the compiled dist/.
 * Compiles it first when it is missing or older than the sources.
 */
export default function setup(): void {
  const root = projectRoot();
  const stamp = join(root, 'dist', 'BUILD');
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === (sourceDigest(root) as string);
  if (!current) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
