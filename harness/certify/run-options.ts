import { readFileSync } from 'node:fs';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { BadInputError } from '../errors.js';
import { insideFolder } from '../safe-paths.js';
import { registerSecrets } from '../secrets.js';

/**
 * How an image is run, as `docker run` configures it: environment, entrypoint, command,
 * user, network and how to tell it is ready. Every field is optional: unset keeps what
 * the image declares.
 */
export interface RunOptions {
  env?: Record<string, string>;
  /** Replaces the image's ENTRYPOINT; [] clears it (docker run --entrypoint ''). */
  entrypoint?: string[];
  /** Replaces the image's CMD. */
  cmd?: string[];
  user?: string;
  /** Run with the engine's init as PID 1 (docker run --init). */
  init?: boolean;
  /** 'none' (default): no network at all; 'internal': an engine network with no route out. */
  network?: 'none' | 'internal';
  /** A regular expression the image prints once ready. */
  readyLog?: string;
  /** A TCP port the image listens on once ready (read from its own /proc/net, no network needed). */
  readyPort?: number;
}

/** A command in a file: one string (split as the command line splits it) or a list of words. */
const Command = Type.Union([Type.String(), Type.Array(Type.String())]);

/** A scalar a YAML file may give where a string is meant (a variable's value, a build argument). */
export const Scalar = Type.Unsafe<string | number | boolean>({ type: ['string', 'number', 'boolean'] });

/** Run options as a file spells them (a policy's `run:`, a config subject): the schema's properties. */
export const RUN_OPTION_PROPERTIES = {
  env: Type.Optional(Type.Record(Type.String(), Scalar)),
  envFile: Type.Optional(Type.String()),
  entrypoint: Type.Optional(Command),
  cmd: Type.Optional(Command),
  user: Type.Optional(Type.String({ minLength: 1 })),
  init: Type.Optional(Type.Boolean()),
};

export type RunOptionsInFile = Static<TObject<typeof RUN_OPTION_PROPERTIES>>;

/** Run options as given, before normalization: a file's keys, or the command line's flags as text. */
export interface RawRunOptions extends RunOptionsInFile {
  network?: string;
  readyLog?: string;
  readyPort?: string | number;
}

/**
 * The one normalization of run options, from a file or the command line: commands as
 * word lists (a JSON array, or words; '' clears), the env file read with `env` over it,
 * every value a string and registered as a secret, the network, ready line and ready
 * port checked. A file's env file is read relative to its `folder` and never outside
 * it; the command line's (`folder` null) as given. `where(key)` names a key in an error
 * ("invalid policy p.yaml: key \"run.cmd\"", "certify: --cmd").
 */
export function normalizeRunOptions(
  raw: RawRunOptions,
  folder: string | null,
  where: (key: string) => string,
): RunOptions {
  const envFile = raw.envFile && (folder === null ? raw.envFile : insideFolder(folder, raw.envFile, where('envFile')));
  const fromFile = envFile ? parseEnvFile(envFile) : {};
  const env = { ...fromFile, ...Object.fromEntries(Object.entries(raw.env ?? {}).map(([k, v]) => [k, String(v)])) };
  // Every value given to an image may be a secret: masked wherever the harness prints or writes.
  registerSecrets(env);
  const command = (x: string | string[] | undefined, key: string) =>
    x === undefined ? undefined : Array.isArray(x) ? x : parseCommand(x, where(key));
  const entrypoint = command(raw.entrypoint, 'entrypoint');
  const cmd = command(raw.cmd, 'cmd');
  return {
    ...(Object.keys(env).length ? { env } : {}),
    ...(entrypoint ? { entrypoint } : {}),
    ...(cmd ? { cmd } : {}),
    ...(raw.user ? { user: raw.user } : {}),
    ...(raw.init !== undefined ? { init: raw.init } : {}),
    ...(raw.network !== undefined ? { network: parseNetwork(raw.network, where('network')) } : {}),
    ...(raw.readyLog !== undefined ? { readyLog: checkRegex(raw.readyLog, where('readyLog')) } : {}),
    ...(raw.readyPort !== undefined ? { readyPort: parsePort(raw.readyPort, where('readyPort')) } : {}),
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * One `--env` value as docker reads it: `K=V`, or `K` alone to take K from this
 * process's environment (left out when it is not set there, as docker does).
 */
export function parseEnvPair(text: string, where: string, showName = true): [string, string] | null {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  // At most the part before "=" is shown: what follows may be a secret.
  if (!ENV_NAME.test(name))
    throw new BadInputError(
      showName
        ? `${where}: "${name}" is not a variable name (NAME=VALUE or NAME; the value is not shown)`
        : `${where}: not NAME=VALUE (or NAME); the line is not shown, it may hold a secret`,
    );
  if (eq >= 0) return [name, text.slice(eq + 1)];
  const inherited = process.env[name];
  return inherited === undefined ? null : [name, inherited];
}

/** An env file as `docker run --env-file` reads it: NAME=VALUE lines, # comments, blank lines. */
export function parseEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadInputError(`cannot read env file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) return;
    const pair = parseEnvPair(line, `env file ${path} line ${i + 1}`, false);
    if (pair) env[pair[0]] = pair[1];
  });
  return env;
}

/**
 * A command given on the command line: a JSON array (`["serve","--port","8080"]`) taken
 * as it is, or words split on whitespace with '...' and "..." quoting (no shell runs it).
 */
export function parseCommand(text: string, where: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new BadInputError(`${where}: not a valid JSON array: ${trimmed}`);
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      throw new BadInputError(`${where}: a JSON array of strings is expected`);
    return value as string[];
  }
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let started = false;
  for (const ch of trimmed) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += ch;
      started = true;
    }
  }
  if (quote) throw new BadInputError(`${where}: unterminated ${quote} in ${text}`);
  if (started) words.push(word);
  return words;
}

export function parsePort(text: string | number, where: string): number {
  const n = typeof text === 'number' ? text : Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new BadInputError(`${where}: a TCP port (1-65535) is expected, got "${text}"`);
  return n;
}

export function parseNetwork(text: string, where: string): 'none' | 'internal' {
  if (text === 'none' || text === 'internal') return text;
  throw new BadInputError(
    `${where}: must be none or internal, got "${text}" (the harness never gives an image a route off the machine)`,
  );
}

export function checkRegex(text: string, where: string): string {
  try {
    new RegExp(text);
  } catch {
    throw new BadInputError(`${where}: not a valid regular expression: ${text}`);
  }
  return text;
}

/** Options from the command line over options from a policy file: the later wins key by key, env merged. */
export function mergeRunOptions(...layers: (RunOptions | undefined)[]): RunOptions {
  const out: RunOptions = {};
  for (const layer of layers) {
    if (!layer) continue;
    const { env, ...rest } = layer;
    Object.assign(out, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (env) out.env = { ...(out.env ?? {}), ...env };
  }
  return out;
}

/** `docker run`-style words for a report header: what was changed from the image's own config. */
export function describeRunOptions(o: RunOptions): string {
  const parts: string[] = [];
  for (const k of Object.keys(o.env ?? {})) parts.push(`--env ${k}`);
  if (o.entrypoint) parts.push(`--entrypoint ${JSON.stringify(o.entrypoint)}`);
  if (o.cmd) parts.push(`--cmd ${JSON.stringify(o.cmd)}`);
  if (o.user) parts.push(`--user ${o.user}`);
  if (o.init) parts.push('--init');
  if (o.network && o.network !== 'none') parts.push(`--network ${o.network}`);
  if (o.readyLog) parts.push(`--ready-log /${o.readyLog}/`);
  if (o.readyPort) parts.push(`--ready-port ${o.readyPort}`);
  return parts.join(' ');
}
