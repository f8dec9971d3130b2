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
    // The parser's first line ends on a colon before the excerpt it shows: keep the sentence.
    const first = ((err as Error).message.split('\n')[0] ?? '').replace(/:\s*$/, '');
    throw new BadInputError(`${what} ${path} is not valid YAML: ${first}`);
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

/** The value at a JSON pointer ("/a/0/b") of what was validated. */
function valueAt(value: unknown, pointer: string): unknown {
  let at = value;
  for (const part of pointer.split('/').slice(1)) {
    const k = part.replace(/~1/g, '/').replace(/~0/g, '~');
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[k] : undefined;
  }
  return at;
}

/** A value as a message shows it: JSON, cut short. */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
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
    // Every problem at once (fix once, not rerun per key), each with the value it got;
    // anyOf/oneOf wrappers say less than what they wrap, and one key is named once.
    const specific = errors.filter((x) => x.keyword !== 'anyOf' && x.keyword !== 'oneOf');
    const seen = new Set<string>();
    const what: string[] = [];
    for (const e of specific.length ? specific : errors) {
      const key = keyOf(e);
      if (seen.has(key)) continue;
      seen.add(key);
      what.push(
        e.keyword === 'additionalProperties'
          ? `unknown key "${key}"`
          : `key "${key}" ${explain(e)} (got ${shown(valueAt(value, e.instancePath))})`,
      );
    }
    throw new BadInputError(`${prefix}: ${what.join('; ')}`);
  };
}
