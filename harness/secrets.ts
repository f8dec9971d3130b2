/**
 * Values given to the image under test (its environment: --env, --env NAME taken from
 * here, --env-file, a policy's env and envFile) are secrets as far as the harness knows:
 * none is written to a report, printed, or put in an error message. The policy keeps
 * only their names (see redactPolicy); and since an image can print its own
 * environment, every string of a report and every line on the terminal has them masked,
 * as CI systems mask their secrets.
 */
import { sanitizeText } from './text.js';

const secrets = new Set<string>();

/**
 * Values shorter than this are not masked: "1", "true" or a port number would blank out
 * every digit and word of the output, and are no secret anyone hands a container.
 */
const SECRET_MIN_LENGTH = 6;

const MASK = '***';

/** Mark the values of an environment as secrets for the rest of this process. */
export function registerSecrets(env: Record<string, string> | undefined): void {
  for (const value of Object.values(env ?? {})) {
    if (value.length < SECRET_MIN_LENGTH) continue;
    secrets.add(value);
    // Also as the output formats spell it (JSON, HTML/XML escapes), should they show it escaped.
    secrets.add(JSON.stringify(value).slice(1, -1));
    secrets.add(
      value
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&#39;'),
    );
  }
}

/** The text with every registered secret masked. */
export function redact(text: string): string {
  if (!secrets.size || !text) return text;
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** A copy of a JSON-shaped value with every string (keys included) redacted. */
export function redactDeep<T>(value: T): T {
  if (!secrets.size) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof RegExp))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [redact(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * Text for the user's terminal from anything an image could have produced: escape
 * sequences dropped, control characters shown as \uXXXX (newlines and tabs kept),
 * secrets masked.
 */
export function terminalText(text: string): string {
  return redact(sanitizeText(text));
}

/**
 * Make every write to `stream` terminal-safe: what the harness prints carries image
 * output (log lines, users, probe bodies) in many places, so the guard sits where all
 * of it passes. The progress line's own "carriage return, clear line" prefix is kept on
 * a terminal.
 */
export function guardStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const PROGRESS = '\r\x1b[K';
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array))
      return write(chunk, ...rest);
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const keep = stream.isTTY && text.startsWith(PROGRESS) ? PROGRESS : '';
    // String encodings other than utf8 are not used by the harness: the text is re-encoded as utf8.
    const args = typeof rest[0] === 'string' ? rest.slice(1) : rest;
    return write(keep + terminalText(text.slice(keep.length)), 'utf8', ...args);
  }) as typeof stream.write;
}
