#!/usr/bin/env node
// Compiles harness/ to dist/ (what the `harness` command runs) and stamps the build
// with a digest of the sources, which bin/harness.mjs compares to know it is current.
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { sourceDigest } from '../bin/source-digest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(join(root, 'dist'), { recursive: true, force: true });
$.sync({ stdio: 'inherit', cwd: root })`${process.execPath} ${tsc} -p ${join(root, 'tsconfig.build.json')}`;
writeFileSync(join(root, 'dist', 'BUILD'), `${sourceDigest(root)}\n`);
