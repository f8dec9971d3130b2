import { existsSync, readFileSync } from 'node:fs';
import { insideFolder, realpathOr, within } from '../safe-paths.js';
import { dirname, join, posix } from 'node:path';
import { DockerfileParser, JSONInstruction, type Instruction } from 'dockerfile-ast';
import { CHECKS } from '../checks/battery.js';
import type { DockerfileReading, Predicted } from '../checks/definition.js';
import type { Verdict } from '../checks/observation.js';
import { BadInputError } from '../errors.js';

/** Inits that forward signals and reap orphans as PID 1, by the name of their binary. */
const INITS = ['tini', 'tini-static', 'dumb-init', 'catatonit', 'docker-init', 'init', 's6-svscan', 'runsvdir'];
const SHELLS = ['sh', 'bash', 'dash', 'ash', 'zsh', 'busybox'];

/** One instruction that decides how the container starts. */
export interface StartInstruction {
  keyword: 'ENTRYPOINT' | 'CMD';
  /** 1-based line in the Dockerfile. */
  line: number;
  /** Exec form (a JSON array) or shell form (run by /bin/sh -c). */
  form: 'exec' | 'shell';
  /** The words of the exec form, or the shell form's text. */
  args: string[];
  text: string;
}

export interface DockerfileFacts {
  path: string;
  entrypoint: StartInstruction | null;
  cmd: StartInstruction | null;
  stopSignal: { value: string; line: number } | null;
  user: { value: string; line: number } | null;
  /** PID 1 as the Dockerfile makes it: the init, the shell, a script, or the program. */
  pid1: { kind: 'init' | 'shell' | 'script' | 'program'; name: string; line: number };
  /** An entrypoint script from the build context, and whether its last command is `exec`. */
  script?: { file: string; execsLast: boolean; lastLine: number; lastCommand: string };
}

/** What the Dockerfile says a check will show, and which line says so. */
export interface Prediction {
  check: string;
  predicted: 'pass' | 'fail' | 'unknown';
  why: string;
  line: number | null;
}

/** A prediction set beside the observation. */
export interface CrossCheck extends Prediction {
  observed: Verdict | null;
  agreement: 'agree' | 'runtime-disagrees' | 'runtime-does-better' | 'no-prediction' | 'not-run';
  /** In words: "the Dockerfile looks fine but the runtime disagrees" and the like. */
  says: string;
}

export interface ProposedFix {
  /** The smallest change that addresses the failures, in words. */
  summary: string;
  /** The patched Dockerfile. */
  dockerfile: string;
  /** Patched files of the build context (an entrypoint script), by context-relative path. */
  files: Record<string, string>;
  /** A unified diff of every change. */
  diff: string;
  /** Run the image with the engine's init as well (docker run --init): an init reaps orphans. */
  runWithInit?: boolean;
}

const baseName = (p: string) => posix.basename(p.replace(/\\/g, '/'));

function startOf(i: Instruction, keyword: 'ENTRYPOINT' | 'CMD'): StartInstruction {
  const line = i.getRange().start.line + 1;
  const json = i instanceof JSONInstruction ? i.getJSONStrings().map((s) => s.getJSONValue()) : [];
  const raw = (i.getRawArgumentsContent() ?? '').trim();
  if (raw.startsWith('[') && json.length) return { keyword, line, form: 'exec', args: json, text: raw };
  return { keyword, line, form: 'shell', args: [raw], text: raw };
}

/** The instructions of the final stage (after the last FROM); null when there is no FROM. */
function finalStage(text: string): Instruction[] | null {
  const all = DockerfileParser.parse(text).getInstructions();
  let from = -1;
  all.forEach((i, n) => {
    if (i.getKeyword() === 'FROM') from = n;
  });
  return from < 0 ? null : all.slice(from + 1);
}

/** Where a script named in ENTRYPOINT came from: a COPY/ADD of the build context. */
function copiedFrom(stage: Instruction[], target: string, contextDir: string): string | undefined {
  for (const i of [...stage].reverse()) {
    if (i.getKeyword() !== 'COPY' && i.getKeyword() !== 'ADD') continue;
    const args = i
      .getArguments()
      .map((a) => a.getValue())
      .filter((a) => !a.startsWith('--'));
    if (args.length < 2) continue;
    const dest = args.at(-1) as string;
    for (const src of args.slice(0, -1)) {
      const to = dest.endsWith('/') ? posix.join(dest, baseName(src)) : dest;
      if (
        to === target ||
        (dest.endsWith('/') && posix.join(dest, baseName(target)) === target && baseName(src) === baseName(target))
      ) {
        // A source outside the context (COPY ../../x, or a symlink out of it) is refused,
        // as docker build refuses it: the harness never reads a host file for a report.
        const file = insideFolder(contextDir, src, `COPY source in the Dockerfile`);
        if (existsSync(file)) return src;
      }
    }
  }
  return undefined;
}

/** Lines that report or tidy up after the program rather than run it. */
const AFTERWORD = /^(echo|printf|exit|wait|true|false|:|set|trap|return|fi|done|esac|\}|;;)(\s|$)/;

/**
 * The command of a shell script that runs the program (its last command that is not an
 * echo, an exit or a closing keyword), and whether it replaces the shell (`exec ...`).
 */
function lastCommand(script: string): { execsLast: boolean; lastLine: number; lastCommand: string } | undefined {
  const lines = script.split('\n');
  for (let n = lines.length - 1; n >= 0; n--) {
    const l = (lines[n] ?? '').trim();
    if (!l || l.startsWith('#') || AFTERWORD.test(l)) continue;
    return { execsLast: /^exec\s/.test(l), lastLine: n + 1, lastCommand: l };
  }
  return undefined;
}

/** Read a Dockerfile and say how its container starts. */
export function readDockerfile(path: string, contextDir = dirname(path)): DockerfileFacts {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadInputError(`cannot read Dockerfile ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const stage = finalStage(text);
  if (!stage) throw new BadInputError(`${path} is not a Dockerfile: it has no FROM`);
  const last = (k: string) => [...stage].reverse().find((i) => i.getKeyword() === k);
  const ep = last('ENTRYPOINT');
  const cmd = last('CMD');
  const stop = last('STOPSIGNAL');
  const user = last('USER');
  const facts: DockerfileFacts = {
    path,
    entrypoint: ep ? startOf(ep, 'ENTRYPOINT') : null,
    cmd: cmd ? startOf(cmd, 'CMD') : null,
    stopSignal: stop
      ? { value: (stop.getArgumentsContent() ?? '').trim(), line: stop.getRange().start.line + 1 }
      : null,
    user: user ? { value: (user.getArgumentsContent() ?? '').trim(), line: user.getRange().start.line + 1 } : null,
    pid1: { kind: 'program', name: '', line: 0 },
  };
  const first = facts.entrypoint ?? facts.cmd;
  if (!first) {
    facts.pid1 = { kind: 'program', name: '(inherited from the base image)', line: 0 };
    return facts;
  }
  if (first.form === 'shell') {
    facts.pid1 = { kind: 'shell', name: '/bin/sh -c', line: first.line };
    return facts;
  }
  const exe = first.args[0] ?? '';
  const name = baseName(exe);
  if (INITS.includes(name)) facts.pid1 = { kind: 'init', name, line: first.line };
  else if (SHELLS.includes(name)) facts.pid1 = { kind: 'shell', name, line: first.line };
  else {
    const inContext = (p: string) => (within(realpathOr(contextDir), realpathOr(join(contextDir, p))) ? p : undefined);
    const src = copiedFrom(stage, exe, contextDir) ?? (existsSync(join(contextDir, exe)) ? inContext(exe) : undefined);
    const body = src ? readFileSync(insideFolder(contextDir, src, 'entrypoint script'), 'utf8') : '';
    if (src && body.startsWith('#!') && /^#!.*\b(sh|bash|dash|ash)\b/.test(body)) {
      facts.pid1 = { kind: 'script', name: exe, line: first.line };
      const lc = lastCommand(body);
      if (lc) facts.script = { file: src, ...lc };
    } else facts.pid1 = { kind: 'program', name: exe, line: first.line };
  }
  return facts;
}

/** The Dockerfile as the checks read it (see DockerfileReading). */
export function readingOf(f: DockerfileFacts): DockerfileReading {
  const start = f.entrypoint ?? f.cmd;
  const line = start?.line ?? null;
  const p = f.pid1;
  const stopNote = f.stopSignal ? ` (STOPSIGNAL ${f.stopSignal.value}, line ${f.stopSignal.line})` : '';
  const deaf = (then: string): Predicted | undefined => {
    if (p.kind === 'shell')
      return {
        predicted: 'fail',
        why: `${start?.keyword} in shell form${start?.form === 'exec' ? ` runs ${p.name}` : ''}: a shell is PID 1, it neither acts on the stop signal nor passes it on, ${then}`,
        line,
      };
    if (p.kind === 'script' && f.script && !f.script.execsLast)
      return {
        predicted: 'fail',
        why: `the entrypoint script ${f.script.file} does not \`exec\` its last command (line ${f.script.lastLine}: ${f.script.lastCommand}): the shell stays PID 1 and keeps the signal, ${then}`,
        line,
      };
    return undefined;
  };
  const signalled = (then: string, fine: string): Predicted =>
    deaf(then) ??
    (p.kind === 'init'
      ? { predicted: 'pass', why: `${p.name} is PID 1 and passes the stop signal on${stopNote}`, line }
      : {
          predicted: 'unknown',
          why: `${p.kind === 'script' ? `the script execs the program` : `${p.name || 'the program'} is PID 1 itself`}: ${fine}${stopNote}`,
          line,
        });
  return { facts: f, line, stopNote, deaf, signalled };
}

/** What the Dockerfile predicts for each check that reads it, in report order. */
export function predict(f: DockerfileFacts): Prediction[] {
  const reading = readingOf(f);
  return CHECKS.flatMap((c) => (c.fromDockerfile ? [{ check: c.name, ...c.fromDockerfile(reading) }] : []));
}

/** Each prediction beside what the engine showed. */
export function crossCheck(predictions: Prediction[], observed: Map<string, Verdict>): CrossCheck[] {
  return predictions.map((p) => {
    const o = observed.get(p.check) ?? null;
    if (o === null || o === 'error' || o === 'skip')
      return { ...p, observed: o, agreement: 'not-run', says: 'not observed' };
    if (p.predicted === 'unknown')
      return {
        ...p,
        observed: o,
        agreement: 'no-prediction',
        says: `the Dockerfile cannot tell; the runtime says ${o}`,
      };
    if (p.predicted === o)
      return {
        ...p,
        observed: o,
        agreement: 'agree',
        says: `the Dockerfile predicts it and the runtime agrees (${o})`,
      };
    return o === 'fail'
      ? {
          ...p,
          observed: o,
          agreement: 'runtime-disagrees',
          says: 'the Dockerfile looks fine but the runtime disagrees',
        }
      : {
          ...p,
          observed: o,
          agreement: 'runtime-does-better',
          says: 'the Dockerfile suggests a failure, but the runtime shows the program handles it',
        };
  });
}

/** Shell-form words as an exec-form JSON array, or null when the text needs a shell. */
export function execFormOf(text: string): string[] | null {
  if (/[|&;<>()$`*?~{}\\]|\s#/.test(text) || /["']/.test(text)) return null;
  const words = text.trim().split(/\s+/).filter(Boolean);
  return words.length ? words : null;
}

/** A unified diff of one file (whole-file hunks: small files, changed lines marked). */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const from = Math.max(0, head - 2);
  const aEnd = a.length - Math.max(0, tail - 2);
  const bEnd = b.length - Math.max(0, tail - 2);
  const lines = [
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -${from + 1},${aEnd - from} +${from + 1},${bEnd - from} @@`,
    ...a.slice(from, head).map((l) => ` ${l}`),
    ...a.slice(head, a.length - tail).map((l) => `-${l}`),
    ...b.slice(head, b.length - tail).map((l) => `+${l}`),
    ...a.slice(a.length - tail, aEnd).map((l) => ` ${l}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The smallest change for what failed: a shell-form start in exec form; `exec` before
 * the entrypoint script's last command; otherwise, for orphans left unreaped, run with
 * the engine's init (nothing in the image changes). Null when nothing it knows applies.
 */
export function proposeFix(f: DockerfileFacts, failed: Set<string>, contextDir: string): ProposedFix | null {
  const text = readFileSync(f.path, 'utf8');
  const rel = posix.basename(f.path);
  const start = f.entrypoint ?? f.cmd;
  const signals = CHECKS.some((c) => c.fixedByExecForm && failed.has(c.name));
  if (signals && start && f.pid1.kind === 'shell' && start.form === 'shell') {
    const words = execFormOf(start.text);
    const replacement = words
      ? `${start.keyword} ${JSON.stringify(words).replace(/","/g, '", "')}`
      : `${start.keyword} ["/bin/sh", "-c", ${JSON.stringify(`exec ${start.text}`)}]`;
    const lines = text.split('\n');
    lines[start.line - 1] = replacement;
    const dockerfile = lines.join('\n');
    return {
      summary: words
        ? `${start.keyword} in exec form: the program becomes PID 1 and receives the stop signal`
        : `the shell execs the program: it becomes PID 1 and receives the stop signal`,
      dockerfile,
      files: {},
      diff: unifiedDiff(rel, text, dockerfile),
      // The program becomes PID 1 with no init in front of it: the orphans a shell used
      // to reap would pile up, so the fix runs it with the engine's init as well.
      runWithInit: true,
    };
  }
  if (signals && f.pid1.kind === 'script' && f.script && !f.script.execsLast) {
    const file = insideFolder(contextDir, f.script.file, 'entrypoint script');
    const body = readFileSync(file, 'utf8');
    const lines = body.split('\n');
    const n = f.script.lastLine - 1;
    lines[n] = (lines[n] ?? '').replace(/^(\s*)/, '$1exec ');
    const patched = lines.join('\n');
    return {
      summary: `\`exec\` the entrypoint script's last command: the program replaces the shell as PID 1`,
      dockerfile: text,
      files: { [f.script.file]: patched },
      diff: unifiedDiff(f.script.file, body, patched),
      // The program becomes PID 1 with no init in front of it: the orphans a shell used
      // to reap would pile up, so the fix runs it with the engine's init as well.
      runWithInit: true,
    };
  }
  if (CHECKS.some((c) => c.fixedByInit && failed.has(c.name)) && f.pid1.kind !== 'init') {
    return {
      summary: 'run it with an init as PID 1 (docker run --init, or tini as ENTRYPOINT): it reaps the orphans',
      dockerfile: text,
      files: {},
      diff: '',
      runWithInit: true,
    };
  }
  return null;
}
