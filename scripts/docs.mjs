// @ts-check
// `npm run docs`: renders the command reference in docs/commands.md from the help texts
// the commands print (from the build: `npm run build` first). suites/unit/docs.test.ts
// fails when the file and the help texts differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { commandsReference, withReference } = await import(join(root, 'dist/harness/cli/reference.js'));
const path = join(root, 'docs', 'commands.md');
writeFileSync(path, withReference(readFileSync(path, 'utf8'), await commandsReference()));
console.log(`docs: ${path} rendered from the help texts`);
