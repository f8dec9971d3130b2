import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CHECKS } from './checks/battery.js';
import type { Subject } from './checks/subject.js';
import { Type, type Static } from '@sinclair/typebox';
import { normalizeRunOptions, RUN_OPTION_PROPERTIES, Scalar } from './certify/run-options.js';
import { BadInputError } from './errors.js';
import { insideFolder } from './safe-paths.js';
import { readYamlFile, schemaCheck } from './yaml-file.js';

/** The file `harness matrix` reads from the working directory when no --config is given. */
export const CONFIG_FILE = 'harness.config.yaml';

const CHECK_NAMES = CHECKS.map((c) => c.name);

const seconds = () => Type.Number({ exclusiveMinimum: 0, maximum: 3600 });

const SubjectSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_./-]*$' }),
    image: Type.Optional(Type.String({ minLength: 1 })),
    build: Type.Optional(
      Type.Object(
        {
          context: Type.String(),
          dockerfile: Type.Optional(Type.String()),
          args: Type.Optional(Type.Record(Type.String(), Scalar)),
        },
        { additionalProperties: false },
      ),
    ),
    ...RUN_OPTION_PROPERTIES,
    ready: Type.Optional(
      Type.Object(
        {
          log: Type.Optional(Type.String()),
          port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
          timeoutSeconds: Type.Optional(seconds()),
        },
        { additionalProperties: false },
      ),
    ),
    grace: Type.Optional(seconds()),
    expected: Type.Optional(
      Type.Unsafe<Record<string, Record<string, unknown>>>({
        type: 'object',
        propertyNames: { enum: CHECK_NAMES },
        additionalProperties: { type: 'object' },
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * harness.config.yaml, written once: validated with it, its raw type derived from it,
 * and docs/schemas/config.schema.json generated from it (`npm run docs`).
 */
export const ConfigSchema = Type.Object(
  {
    grace: Type.Optional(seconds()),
    checks: Type.Optional(Type.Array(Type.Unsafe<string>({ enum: CHECK_NAMES }), { uniqueItems: true, minItems: 1 })),
    subjects: Type.Array(SubjectSchema, { minItems: 1 }),
  },
  {
    additionalProperties: false,
    title: 'harness.config.yaml',
    description: 'The subjects `harness matrix --config` runs the battery on.',
  },
);

const check = schemaCheck(ConfigSchema);

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
  const raw = value as Static<typeof ConfigSchema>;
  const dir = dirname(path);
  const names = new Set<string>();
  const subjects = raw.subjects.map((s, i): ConfigSubject => {
    const key = `invalid config ${path}: key "subjects.${i}`;
    if (!!s.image === !!s.build) throw new BadInputError(`${key}" needs exactly one of image or build`);
    if (names.has(s.name)) throw new BadInputError(`${key}.name" repeats the name "${s.name}"`);
    names.add(s.name);
    if (s.ready?.log && s.ready.port) throw new BadInputError(`${key}.ready" takes log or port, not both`);
    const inFile: Record<string, string> = { readyLog: 'ready.log', readyPort: 'ready.port' };
    const { init, readyLog, ...run } = normalizeRunOptions(
      { ...s, readyLog: s.ready?.log, readyPort: s.ready?.port },
      dir,
      (k) => `${key}.${inFile[k] ?? k}"`,
    );
    const subject: ConfigSubject['subject'] = {
      name: s.name,
      ...run,
      ...(init ? { init: true } : {}),
      ...(readyLog ? { readyLog: new RegExp(readyLog) } : {}),
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
