#!/usr/bin/env node
// Prints the base image's recipe hash (what decides its content: the Debian suite, its
// packages and images/base/): the key under which a CI cache keeps the built base
// image, so a run whose recipe is unchanged loads it instead of bootstrapping it. Reads
// the compiled harness when dist/ is current, else its TypeScript sources.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distState } from '../bin/source-digest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** @type {{ baseRecipeHash: () => string }} */
let base;
if (distState(root).current) base = await import('../dist/harness/images/base.js');
else {
  const { register } = await import('tsx/esm/api');
  register();
  base = await import('../harness/images/base.ts');
}
process.stdout.write(`${base.baseRecipeHash()}\n`);
