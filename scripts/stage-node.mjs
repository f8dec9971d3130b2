#!/usr/bin/env node
// Stages the Node binary this project runs on at .harness/runtime/node, for the
// harness's own image (images/harness/Dockerfile, docker-compose.yml): no registry is
// needed to put Node in it. Skipped when the staged copy is already this binary.
import { copyFileSync, mkdirSync, statSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.harness', 'runtime', 'node');
const source = statSync(process.execPath);
let same = false;
try {
  const staged = statSync(target);
  same = staged.size === source.size && Math.trunc(staged.mtimeMs) === Math.trunc(source.mtimeMs);
} catch {
  // not staged yet
}
if (!same) {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(process.execPath, target, constants.COPYFILE_FICLONE);
  const { utimesSync } = await import('node:fs');
  utimesSync(target, source.atime, source.mtime);
}
