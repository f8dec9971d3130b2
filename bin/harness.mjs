#!/usr/bin/env node
// The `harness` command: runs the compiled JavaScript in dist/ when it is current (its
// BUILD stamp matches the sources) or when no sources are shipped (an installed package),
// else the TypeScript sources through tsx, saying so.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distState } from './source-digest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = distState(root);
try {
  if (dist.current) {
    await import('../dist/harness/cli/main.js');
  } else {
    if (process.env.HARNESS_QUIET_BUILD !== '1')
      process.stderr.write(
        `harness: ${dist.built ? 'dist/ is older than the sources' : 'no build in dist/'}: running from TypeScript (slower to start; \`npm run build\` compiles it)\n`,
      );
    const { register } = await import('tsx/esm/api');
    register();
    await import('../harness/cli/main.ts');
  }
} catch (caught) {
  // A package the harness needs is missing: its dependencies were never installed.
  const err = /** @type {{ code?: string, message?: string }} */ (caught);
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw caught;
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(String(err.message))?.[1] ?? 'a module';
  process.stderr.write(`harness: ${missing} is not installed: run \`npm ci\` in ${root}\n`);
  process.exitCode = 2;
}
