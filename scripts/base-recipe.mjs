#!/usr/bin/env node
// Prints the base image's recipe hash (what decides its content: the Debian suite, its
// packages and images/base/): the key under which a CI cache keeps the built base
// image, so a run whose recipe is unchanged loads it instead of bootstrapping it. Reads
// the compiled harness when dist/ is current, else its TypeScript sources.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceDigest } from '../bin/source-digest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let stamp = '';
try {
  stamp = readFileSync(join(root, 'dist', 'BUILD'), 'utf8').trim();
} catch {
  // no build yet
}
const digest = sourceDigest(root);
/** @type {{ baseRecipeHash: () => string }} */
let base;
if (digest === null || stamp === digest) base = await import('../dist/harness/images/base.js');
else {
  const { register } = await import('tsx/esm/api');
  register();
  base = await import('../harness/images/base.ts');
}
process.stdout.write(`${base.baseRecipeHash()}\n`);
