import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BadInputError } from '../errors.js';
import { projectRoot } from '../paths.js';
import { readYamlFile, schemaCheck } from '../yaml-file.js';
import { Type, type Static } from '@sinclair/typebox';
import { normalizeRunOptions, RUN_OPTION_PROPERTIES, type RunOptions } from './run-options.js';

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

const seconds = (minimum: 'exclusive' | 'inclusive' = 'exclusive') =>
  Type.Number({ ...(minimum === 'exclusive' ? { exclusiveMinimum: 0 } : { minimum: 0 }), maximum: 3600 });

/**
 * A policy file, written once: validated with it (every key optional: the default
 * policy fills the rest), and docs/schemas/policy.schema.json generated from it.
 */
export const PolicySchema = Type.Object(
  {
    graceSeconds: Type.Optional(seconds()),
    maxStopSeconds: Type.Optional(seconds()),
    acceptedExitCodes: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 1 })),
    allowZombies: Type.Optional(Type.Boolean()),
    required: Type.Optional(Type.Array(Type.Unsafe<string>({ enum: CERTIFY_NAMES }), { uniqueItems: true })),
    startup: Type.Optional(
      Type.Object(
        {
          timeoutSeconds: Type.Optional(seconds()),
          settleSeconds: Type.Optional(seconds('inclusive')),
          readyLog: Type.Optional(Type.Union([Type.String(), Type.Null()])),
          readyPort: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ),
    run: Type.Optional(
      Type.Object(
        {
          ...RUN_OPTION_PROPERTIES,
          network: Type.Optional(Type.Unsafe<'none' | 'internal'>({ enum: ['none', 'internal'] })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    title: 'harness certify policy',
    description: 'What `harness certify` asks of an image; unset keys take the default policy.',
  },
);

export const DEFAULT_POLICY_FILE = join(projectRoot(), 'harness', 'certify', 'default-policy.yaml');

const check = schemaCheck(PolicySchema);

/** Validate a parsed policy (partial: defaults fill the rest); one-line error naming the key. */
export function policyFrom(value: unknown, source: string): Policy {
  if (value === null || value === undefined) value = {};
  check(value, `invalid policy ${source}`);
  const v = value as Static<typeof PolicySchema>;
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

/** A policy's `run` section as the harness uses it (see normalizeRunOptions), its network kept. */
function runFrom(raw: NonNullable<Static<typeof PolicySchema>['run']>, source: string): Policy['run'] {
  const folder = source.startsWith('(') ? '.' : dirname(source);
  const run: Policy['run'] = normalizeRunOptions(raw, folder, (key) => `invalid policy ${source}: key "run.${key}"`);
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
