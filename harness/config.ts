import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CHECKS } from './checks/battery.js';
import type { Subject } from './checks/subject.js';
import { parseCommand, parseEnvFile, checkRegex, RUN_OPTION_PROPERTIES } from './certify/run-options.js';
import { BadInputError } from './errors.js';
import { insideFolder } from './safe-paths.js';
import { registerSecrets } from './secrets.js';
import { readYamlFile, schemaCheck } from './yaml-file.js';

/** The file `harness matrix` reads from the working directory when no --config is given. */
export const CONFIG_FILE = 'harness.config.yaml';

const CHECK_NAMES = CHECKS.map((c) => c.name);

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['subjects'],
  properties: {
    grace: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
    checks: { type: 'array', items: { enum: CHECK_NAMES }, uniqueItems: true, minItems: 1 },
    subjects: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_./-]*$' },
          image: { type: 'string', minLength: 1 },
          build: {
            type: 'object',
            additionalProperties: false,
            required: ['context'],
            properties: {
              context: { type: 'string' },
              dockerfile: { type: 'string' },
              args: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
            },
          },
          ...RUN_OPTION_PROPERTIES,
          ready: {
            type: 'object',
            additionalProperties: false,
            properties: {
              log: { type: 'string' },
              port: { type: 'integer', minimum: 1, maximum: 65535 },
              timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
            },
          },
          grace: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
          expected: {
            type: 'object',
            propertyNames: { enum: CHECK_NAMES },
            additionalProperties: { type: 'object' },
          },
        },
      },
    },
  },
} as const;

const check = schemaCheck(SCHEMA);

/** A subject as the config file gives it: an image, or a build context to build it from. */
export interface ConfigSubject {
  subject: Omit<Subject, 'image'> & { graceSeconds?: number; expected?: Record<string, Record<string, unknown>> };
  image?: string;
  build?: { contextDir: string; dockerfile: string; args: Record<string, string> };
}

export interface HarnessConfig {
  path: string;
  graceSeconds?: number;
  checks?: string[];
  subjects: ConfigSubject[];
}

interface RawSubject {
  name: string;
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, unknown> };
  env?: Record<string, unknown>;
  envFile?: string;
  entrypoint?: string | string[];
  cmd?: string | string[];
  user?: string;
  init?: boolean;
  ready?: { log?: string; port?: number; timeoutSeconds?: number };
  grace?: number;
  expected?: Record<string, Record<string, unknown>>;
}

const strings = (o: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, String(v)]));

/** The config in effect: the one given, else harness.config.yaml in the working directory, else none. */
export function configPath(given: string | undefined, cwd = process.cwd()): string | undefined {
  if (given) return resolve(given);
  const found = join(cwd, CONFIG_FILE);
  return existsSync(found) ? found : undefined;
}

/** Read and check a config file; every error is one line naming the key. */
export function loadConfig(path: string): HarnessConfig {
  const value = readYamlFile(path, 'config');
  check(value ?? {}, `invalid config ${path}`);
  const raw = value as { grace?: number; checks?: string[]; subjects: RawSubject[] };
  const dir = dirname(path);
  const names = new Set<string>();
  const subjects = raw.subjects.map((s, i): ConfigSubject => {
    const key = `invalid config ${path}: key "subjects.${i}`;
    if (!!s.image === !!s.build) throw new BadInputError(`${key}" needs exactly one of image or build`);
    if (names.has(s.name)) throw new BadInputError(`${key}.name" repeats the name "${s.name}"`);
    names.add(s.name);
    if (s.ready?.log && s.ready.port) throw new BadInputError(`${key}.ready" takes log or port, not both`);
    const env = {
      ...(s.envFile ? parseEnvFile(insideFolder(dir, s.envFile, `${key}.envFile"`)) : {}),
      ...strings(s.env),
    };
    registerSecrets(env);
    const command = (x: string | string[] | undefined, k: string) =>
      x === undefined ? undefined : Array.isArray(x) ? x : parseCommand(x, `${key}.${k}"`);
    const entrypoint = command(s.entrypoint, 'entrypoint');
    const cmd = command(s.cmd, 'cmd');
    const subject: ConfigSubject['subject'] = {
      name: s.name,
      ...(Object.keys(env).length ? { env } : {}),
      ...(entrypoint ? { entrypoint } : {}),
      ...(cmd ? { cmd } : {}),
      ...(s.user ? { user: s.user } : {}),
      ...(s.init ? { init: true } : {}),
      ...(s.ready?.log ? { readyLog: new RegExp(checkRegex(s.ready.log, `${key}.ready.log"`)) } : {}),
      ...(s.ready?.port ? { readyPort: s.ready.port } : {}),
      ...(s.ready?.timeoutSeconds ? { startupTimeoutMs: s.ready.timeoutSeconds * 1000 } : {}),
      ...(s.grace ? { graceSeconds: s.grace } : {}),
      ...(s.expected ? { expected: s.expected } : {}),
    };
    if (s.image) return { subject, image: s.image };
    const contextDir = insideFolder(dir, s.build?.context ?? '.', `${key}.build.context"`);
    if (!existsSync(contextDir)) throw new BadInputError(`${key}.build.context": no folder ${contextDir}`);
    const dockerfile = s.build?.dockerfile ?? 'Dockerfile';
    insideFolder(contextDir, dockerfile, `${key}.build.dockerfile"`);
    if (!existsSync(join(contextDir, dockerfile)))
      throw new BadInputError(`${key}.build.dockerfile": no file ${join(contextDir, dockerfile)}`);
    return { subject, build: { contextDir, dockerfile, args: strings(s.build?.args) } };
  });
  return {
    path,
    ...(raw.grace ? { graceSeconds: raw.grace } : {}),
    ...(raw.checks ? { checks: raw.checks } : {}),
    subjects,
  };
}
