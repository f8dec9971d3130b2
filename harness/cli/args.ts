import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadInputError } from '../errors.js';
import { didYouMean } from './suggest.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

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
    const unknown = /^Unknown option '--([\w-]+)'/.exec(message);
    const near = unknown ? didYouMean(unknown[1] as string, Object.keys(options)) : undefined;
    if (near) message = `${message}: did you mean --${near}?`;
    throw new BadInputError(`${command}: ${message} (see \`harness ${command} --help\`)`);
  }
}

export function positiveNumber(
  command: string,
  flag: string,
  value: string | undefined,
  fallback: number,
  max: number = LIMITS.seconds,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new BadInputError(`${command}: --${flag} must be a positive number, got "${value}"`);
  if (n > max) throw new BadInputError(`${command}: --${flag} must be at most ${max}, got "${value}"`);
  return n;
}

/**
 * Upper bounds of the numbers a command takes. A duration beyond `seconds` would be a
 * Node timer past 2^31-1 ms, which fires after 1 ms; a grace period is at most an hour
 * (as a policy's); more scenarios at once than `concurrency` only queue in the engine.
 */
export const LIMITS = { seconds: Math.floor((2 ** 31 - 1) / 1000), graceSeconds: 3600, concurrency: 256 } as const;

/** A `--runtime` option: docker (the engine, the default) or cri (the harness's containerd). */
export function runtimeOption(command: string, value: string | undefined): 'docker' | 'cri' {
  if (value === undefined || value === 'docker') return 'docker';
  if (value === 'cri') return 'cri';
  throw new BadInputError(`${command}: --runtime must be docker or cri, got "${value}"`);
}
