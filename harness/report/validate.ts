import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { BadInputError } from '../errors.js';
import type { Report } from './model.js';
import { reportJsonSchema } from './schema.js';

// ajv-formats ships CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    validator = ajv.compile(reportJsonSchema());
  }
  return validator;
}

function describe(e: ErrorObject): string {
  const path = e.instancePath || '/';
  if (e.keyword === 'additionalProperties')
    return `${path}: unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${path}: ${e.message ?? 'is invalid'}`;
}

/** Every schema violation of `value`, each naming the offending JSON path. */
export function reportErrors(value: unknown): string[] {
  const validate = compiled();
  return validate(value) ? [] : (validate.errors ?? []).map(describe);
}

/** Throw a bad-input error naming the first offending path, when `value` is not a report. */
export function assertReport(value: unknown, source: string): asserts value is Report {
  const errors = reportErrors(value);
  if (errors.length) {
    throw new BadInputError(
      `${source} is not a valid report: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
      {
        detail: errors.slice(1, 10).join('\n') || undefined,
      },
    );
  }
}

/** Read and validate a report.json. */
export function readReport(path: string): Report {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadInputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`${path} is not JSON: ${(err as Error).message}`);
  }
  assertReport(value, path);
  return value;
}
