import { CHECKS } from '../checks/battery.js';
import { PolicySchema } from '../certify/policy.js';
import { ConfigSchema } from '../config.js';
import { fidelityMarkdown } from '../pod/fidelity.js';
import { reportJsonSchema } from '../report/schema.js';
import { PodSchema } from '../pod/schema.js';
import { COMMANDS, HELP } from './commands.js';

/** The order docs/commands.md lists the commands in: the order of the main help. */
const ORDER = [...HELP.matchAll(/^ {2}(\w+) {2,}/gm)].map((m) => m[1] as string);

/**
 * The command reference, rendered from the help texts the commands print: the part of
 * docs/commands.md between its markers (a unit test keeps the file true).
 */
export async function commandsReference(): Promise<string> {
  const sections = [`## harness\n\n\`\`\`text\n${HELP}\n\`\`\``];
  for (const name of ORDER) {
    const load = COMMANDS[name];
    if (!load) throw new Error(`the main help lists ${name}, which is not a command`);
    sections.push(`## harness ${name}\n\n\`\`\`text\n${(await load()).help}\n\`\`\``);
  }
  return sections.join('\n\n');
}

/** The battery's table in docs/battery.md, from the check definitions, in report order. */
export function batteryReference(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| check | scenario | observed |',
    '|---|---|---|',
    ...CHECKS.map((c) => `| \`${c.name}\` | ${cell(c.does)} | ${cell(c.observes)} |`),
  ].join('\n');
}

/** Each rendered document and what renders its reference part. */
export const RENDERED: Record<string, () => Promise<string> | string> = {
  'docs/commands.md': commandsReference,
  'docs/battery.md': batteryReference,
  'docs/pod.md': fidelityMarkdown,
};

/**
 * Whole files generated from the sources by `npm run docs`: the published JSON Schemas,
 * from the schema each document is written in once.
 */
export const GENERATED: Record<string, () => string> = {
  'reports/report.schema.json': () => `${JSON.stringify(reportJsonSchema(), null, 2)}\n`,
  'docs/schemas/config.schema.json': () => published(ConfigSchema, 'config.schema.json'),
  'docs/schemas/policy.schema.json': () => published(PolicySchema, 'policy.schema.json'),
  'docs/schemas/pod.schema.json': () => published(PodSchema, 'pod.schema.json'),
};

/** A schema as published: draft-07, with its own id. */
function published(schema: object, name: string): string {
  const json = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://harness.invalid/${name}`,
    ...schema,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export const REFERENCE_START = '<!-- rendered by `npm run docs` from the sources: edit them, not this -->';
export const REFERENCE_END = '<!-- end of the rendered reference -->';

/** `doc` with the part between the markers replaced by `reference`. */
export function withReference(doc: string, reference: string): string {
  const a = doc.indexOf(REFERENCE_START);
  const b = doc.indexOf(REFERENCE_END);
  if (a < 0 || b < a) throw new Error('the document has lost its reference markers');
  return `${doc.slice(0, a + REFERENCE_START.length)}\n\n${reference}\n\n${doc.slice(b)}`;
}
