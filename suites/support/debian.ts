import { existsSync } from 'node:fs';
import { aptInstall, isRoot } from '../../harness/engine/bringup.js';
import { stderrLogger } from '../../harness/log.js';

/**
 * Make sure Debian packages a test needs are installed (as root, with apt-get), so the
 * test command works on a bare machine. `binaries` maps each package to a file it
 * installs.
 */
export async function ensureDebianPackages(binaries: Record<string, string>): Promise<void> {
  const missing = Object.entries(binaries)
    .filter(([, file]) => !existsSync(file))
    .map(([pkg]) => pkg);
  if (!missing.length) return;
  if (!isRoot())
    throw new Error(
      `this test needs Debian's ${missing.join(', ')}: run \`sudo apt-get install ${missing.join(' ')}\``,
    );
  await aptInstall(missing, stderrLogger);
}
