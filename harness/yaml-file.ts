import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { BadInputError } from './errors.js';

/** A YAML file the user wrote, parsed; an unreadable or malformed one is a one-line error. */
export function readYamlFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadInputError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new BadInputError(`${what} ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function keyOf(e: ErrorObject): string {
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return path ? `${path}.${extra}` : extra;
  }
  return path || '(top level)';
}

function explain(e: ErrorObject): string {
  if (e.keyword === 'enum')
    return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return e.message ?? 'is invalid';
}

/**
 * A validator for a schema: `check(value, prefix)` throws a one-line BadInputError that
 * names the key ("<prefix>: unknown key "a.b"" or "<prefix>: key "a.b" must be ...").
 */
export function schemaCheck(schema: object): (value: unknown, prefix: string) => void {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  return (value, prefix) => {
    if (validate(value)) return;
    const errors = validate.errors ?? [];
    // The most specific error: anyOf/oneOf wrappers say less than what they wrap.
    const e = (errors.find((x) => x.keyword !== 'anyOf' && x.keyword !== 'oneOf') ?? errors[0]) as ErrorObject;
    const what = e.keyword === 'additionalProperties' ? `unknown key "${keyOf(e)}"` : `key "${keyOf(e)}" ${explain(e)}`;
    throw new BadInputError(`${prefix}: ${what}`);
  };
}
