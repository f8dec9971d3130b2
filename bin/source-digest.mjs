// A digest of the TypeScript sources under harness/ (paths, sizes and modification
// times): cheap enough to compute at every start of the command. Null when there are
// none (an installed package ships only the compiled dist/).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';

export function sourceDigest(root) {
  const h = createHash('sha256');
  let sources = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        const st = statSync(full);
        sources++;
        h.update(`${relative(root, full)}\0${st.size}\0${Math.trunc(st.mtimeMs)}\n`);
      }
    }
  };
  walk(join(root, 'harness'));
  return sources ? h.digest('hex') : null;
}

/**
 * Whether the compiled dist/ is what runs: its BUILD stamp matches the sources, or no
 * sources are shipped (an installed package).
 * @param {string} root
 * @returns {{ current: boolean, built: boolean }}
 */
export function distState(root) {
  let stamp = '';
  try {
    stamp = readFileSync(join(root, 'dist', 'BUILD'), 'utf8').trim();
  } catch {
    // no build yet
  }
  const digest = sourceDigest(root);
  return { current: digest === null || (stamp !== '' && stamp === digest), built: stamp !== '' };
}
