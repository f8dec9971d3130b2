import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BadInputError } from '../errors.js';
import { insideFolder } from '../safe-paths.js';
import { projectRoot } from '../paths.js';
import { readYamlFile, schemaCheck } from '../yaml-file.js';
import { parseCommand, parseEnvFile, RUN_OPTION_PROPERTIES, type RunOptions } from './run-options.js';

import { CERTIFY_CHECKS } from '../checks/battery.js';

/** The names of the checks the gate runs (their definitions say so). */
const CERTIFY_NAMES = CERTIFY_CHECKS.map((c) => c.name);

export interface Policy {
  graceSeconds: number;
  maxStopSeconds: number;
  acceptedExitCodes: number[];
  allowZombies: boolean;
  /** Names of certify checks whose failure fails the gate. */
  required: string[];
  startup: { timeoutSeconds: number; settleSeconds: number; readyLog: string | null; readyPort: number | null };
  /** How the image is run (docker run's env, entrypoint, command, user, network); {} keeps the image's own. */
  run: Omit<RunOptions, 'readyLog' | 'readyPort'>;
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    graceSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
    maxStopSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
    acceptedExitCodes: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 255 }, minItems: 1 },
    allowZombies: { type: 'boolean' },
    required: { type: 'array', items: { enum: CERTIFY_NAMES }, uniqueItems: true },
    startup: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
        settleSeconds: { type: 'number', minimum: 0, maximum: 3600 },
        readyLog: { type: ['string', 'null'] },
        readyPort: { anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'null' }] },
      },
    },
    run: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...RUN_OPTION_PROPERTIES,
        network: { enum: ['none', 'internal'] },
      },
    },
  },
} as const;

export const DEFAULT_POLICY_FILE = join(projectRoot(), 'harness', 'certify', 'default-policy.yaml');

const check = schemaCheck(SCHEMA);

/** Validate a parsed policy (partial: defaults fill the rest); one-line error naming the key. */
export function policyFrom(value: unknown, source: string): Policy {
  if (value === null || value === undefined) value = {};
  check(value, `invalid policy ${source}`);
  const v = value as Partial<Omit<Policy, 'run'>> & { startup?: Partial<Policy['startup']>; run?: RawRun };
  const d = defaultPolicy();
  const policy: Policy = {
    ...d,
    ...v,
    startup: { ...d.startup, ...(v.startup ?? {}) },
    run: runFrom(v.run ?? {}, source),
  };
  if (policy.maxStopSeconds > policy.graceSeconds) {
    throw new BadInputError(
      `invalid policy ${source}: key "maxStopSeconds" (${policy.maxStopSeconds}) must not exceed graceSeconds (${policy.graceSeconds})`,
    );
  }
  if (policy.startup.readyLog !== null) {
    try {
      new RegExp(policy.startup.readyLog);
    } catch {
      throw new BadInputError(`invalid policy ${source}: key "startup.readyLog" is not a valid regular expression`);
    }
  }
  return policy;
}

interface RawRun {
  env?: Record<string, string | number | boolean>;
  envFile?: string;
  entrypoint?: string | string[];
  cmd?: string | string[];
  user?: string;
  init?: boolean;
  network?: 'none' | 'internal';
}

/** A policy's `run` section as the harness uses it: commands as arrays, the env file read (env over it). */
function runFrom(raw: RawRun, source: string): Policy['run'] {
  const run: Policy['run'] = {};
  const folder = source.startsWith('(') ? '.' : dirname(source);
  const fromFile = raw.envFile
    ? parseEnvFile(insideFolder(folder, raw.envFile, `invalid policy ${source}: key "run.envFile"`))
    : {};
  const env = { ...fromFile, ...Object.fromEntries(Object.entries(raw.env ?? {}).map(([k, x]) => [k, String(x)])) };
  if (Object.keys(env).length) run.env = env;
  const command = (x: string | string[] | undefined, key: string) =>
    x === undefined ? undefined : Array.isArray(x) ? x : parseCommand(x, `invalid policy ${source}: key "run.${key}"`);
  const entrypoint = command(raw.entrypoint, 'entrypoint');
  const cmd = command(raw.cmd, 'cmd');
  if (entrypoint) run.entrypoint = entrypoint;
  if (cmd) run.cmd = cmd;
  if (raw.user) run.user = raw.user;
  if (raw.init !== undefined) run.init = raw.init;
  if (raw.network) run.network = raw.network;
  return run;
}

const parseFile = (path: string): unknown => readYamlFile(path, 'policy');

let defaults: Policy | undefined;
export function defaultPolicy(): Policy {
  defaults ??= structuredClone(parseFile(DEFAULT_POLICY_FILE)) as Policy;
  return structuredClone(defaults);
}

/** Where a project keeps its own defaults: used when present and no --policy is given. */
const PROJECT_POLICY_FILE = join('.harness', 'policy.yaml');

/** The policy file in effect: the one given, else the project's .harness/policy.yaml, else the default. */
export function policyPath(given: string | undefined, cwd = process.cwd()): string | undefined {
  if (given) return given;
  const project = join(cwd, PROJECT_POLICY_FILE);
  return existsSync(project) ? project : undefined;
}

export function loadPolicy(path: string | undefined): Policy {
  return path ? policyFrom(parseFile(path), path) : defaultPolicy();
}
