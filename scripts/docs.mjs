// @ts-check
// `npm run docs`: renders the reference parts of docs/ from the sources (from the build:
// `npm run build` first): docs/commands.md from the commands' help texts, the battery's
// table in docs/battery.md from the check definitions; and whole generated files, the
// published JSON Schemas (reports/report.schema.json) from the schemas in the sources.
// suites/unit/docs.test.ts fails when a document and its sources differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { GENERATED, RENDERED, withReference } = await import(join(root, 'dist/harness/cli/reference.js'));
for (const [doc, render] of Object.entries(RENDERED)) {
  const path = join(root, doc);
  writeFileSync(path, withReference(readFileSync(path, 'utf8'), await render()));
  console.log(`docs: ${doc} rendered`);
}
for (const [file, generate] of Object.entries(GENERATED)) {
  writeFileSync(join(root, file), generate());
  console.log(`docs: ${file} generated`);
}
