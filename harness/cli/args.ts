import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadInputError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into one-line bad-input errors. */
type Parsed<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
>;

export function parse<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
): Parsed<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    let message = (err as Error).message.split('\n')[0]?.replace(/\. To specify a positional.*$/, '') ?? '';
    // parseArgs reads `--grace -1` as a flag without its value.
    const ambiguous = /^Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(message);
    if (ambiguous) message = `${ambiguous[1]}: a value that starts with "-" is given as ${ambiguous[1]}=VALUE`;
    throw new BadInputError(`${command}: ${message} (see \`harness ${command} --help\`)`);
  }
}

export function positiveNumber(command: string, flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new BadInputError(`${command}: --${flag} must be a positive number, got "${value}"`);
  return n;
}
