// @ts-check
// The deliberate breakages `npm run mutants` applies, one per check, read from the
// check's own file (harness/checks/<check>.ts), where each stands above the line it
// breaks:
//
//     // mutant: what the breakage does
//     // => the line that replaces the next one (several: several lines; none: deleted)
//     the line it breaks
//
// A unit test (suites/unit/mutants-list.test.ts) asks for one in every check's file.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHECKS_DIR = 'harness/checks';
const MARKER = /^(\s*)\/\/ mutant: (.+)$/;
const BECOMES = /^\s*\/\/ => ?(.*)$/;

/**
 * @typedef {{ check: string, file: string, line: number, breaks: string, apply: (text: string) => string }} Mutant
 */

/**
 * The mutants in the check files under `root`, one entry per marker.
 * @param {string} root the project's folder
 * @returns {Mutant[]}
 */
export function mutantsIn(root) {
  /** @type {Mutant[]} */
  const found = [];
  for (const name of readdirSync(join(root, CHECKS_DIR))
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const file = `${CHECKS_DIR}/${name}`;
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const m = MARKER.exec(text);
      if (!m) return;
      const indent = m[1] ?? '';
      let j = i + 1;
      /** @type {string[]} */
      const becomes = [];
      for (let b; j < lines.length && (b = BECOMES.exec(lines[j] ?? '')); j++) becomes.push(`${indent}${b[1]}`);
      const target = j;
      found.push({
        check: name.replace(/\.ts$/, ''),
        file,
        line: target + 1,
        breaks: m[2] ?? '',
        apply: (source) => {
          const out = source.split('\n');
          if (out[target] !== lines[target]) throw new Error(`${file}:${target + 1} changed since it was read`);
          out.splice(target, 1, ...becomes);
          return out.join('\n');
        },
      });
    });
  }
  return found;
}

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
