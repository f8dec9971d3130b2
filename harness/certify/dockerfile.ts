import { existsSync, readFileSync } from 'node:fs';
import { insideFolder, realpathOr, within } from '../safe-paths.js';
import { dirname, join, posix } from 'node:path';
import { DockerfileParser, JSONInstruction, type Instruction } from 'dockerfile-ast';
import { CHECKS } from '../checks/battery.js';
import type {
  DockerfileFacts,
  DockerfileReading,
  Predicted,
  Prediction,
  StartInstruction,
} from '../checks/dockerfile-reading.js';

export type { DockerfileFacts, Prediction, StartInstruction } from '../checks/dockerfile-reading.js';
import type { Verdict } from '../checks/observation.js';
import { BadInputError } from '../errors.js';

/** Inits that forward signals and reap orphans as PID 1, by the name of their binary. */
const INITS = ['tini', 'tini-static', 'dumb-init', 'catatonit', 'docker-init', 'init', 's6-svscan', 'runsvdir'];
const SHELLS = ['sh', 'bash', 'dash', 'ash', 'zsh', 'busybox'];

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
function readingOf(f: DockerfileFacts): DockerfileReading {
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
function execFormOf(text: string): string[] | null {
  if (/[|&;<>()$`*?~{}\\]|\s#/.test(text) || /["']/.test(text)) return null;
  const words = text.trim().split(/\s+/).filter(Boolean);
  return words.length ? words : null;
}

/** A unified diff of one file (whole-file hunks: small files, changed lines marked). */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  // Lines, not the empty string after a final newline (it is no line of the file); a
  // last line without its newline differs from the same text with one.
  const linesOf = (t: string) => (t.endsWith('\n') ? t.slice(0, -1) : t).split('\n');
  const a = linesOf(before);
  const b = linesOf(after);
  const key = (lines: string[], text: string, i: number) =>
    i === lines.length - 1 && !text.endsWith('\n') ? `${lines[i]}\0` : lines[i];
  const same = (i: number, j: number) => key(a, before, i) === key(b, after, j);
  let head = 0;
  while (head < a.length && head < b.length && same(head, head)) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && same(a.length - 1 - tail, b.length - 1 - tail)) tail++;
  const from = Math.max(0, head - 2);
  const aEnd = a.length - Math.max(0, tail - 2);
  const bEnd = b.length - Math.max(0, tail - 2);
  const NO_NEWLINE = '\\ No newline at end of file';
  const out: string[] = [];
  // A line, and the marker after it when it is its file's last and lacks a newline.
  const put = (mark: string, lines: string[], text: string, i: number) => {
    out.push(`${mark}${lines[i]}`);
    if (i === lines.length - 1 && !text.endsWith('\n')) out.push(NO_NEWLINE);
  };
  for (let i = from; i < head; i++) put(' ', a, before, i);
  for (let i = head; i < a.length - tail; i++) put('-', a, before, i);
  for (let j = head; j < b.length - tail; j++) put('+', b, after, j);
  for (let i = a.length - tail; i < aEnd; i++) put(' ', a, before, i);
  return `${[`--- a/${path}`, `+++ b/${path}`, `@@ -${from + 1},${aEnd - from} +${from + 1},${bEnd - from} @@`, ...out].join('\n')}\n`;
}

/** Where the inits the fix can use live in an image, most common first. */
export const INIT_PATHS = [
  '/usr/bin/tini',
  '/sbin/tini',
  '/tini',
  '/usr/local/bin/tini',
  '/usr/bin/tini-static',
  '/usr/bin/dumb-init',
  '/usr/local/bin/dumb-init',
  '/usr/bin/catatonit',
  '/catatonit',
] as const;

/**
 * An init's words in front of the program: each forwards signals to the program's whole
 * process group (tini -g, catatonit -g; dumb-init does by default), so a shell left in
 * between cannot swallow them.
 */
function initWords(path: string): string[] {
  const name = posix.basename(path);
  return name.startsWith('dumb-init') ? [path, '--'] : [path, '-g', '--'];
}

const jsonWords = (words: string[]) => JSON.stringify(words).replace(/","/g, '", "');

/**
 * The change a Kubernetes user can ship for what failed, chosen from what the image
 * holds (`init`: the path of an init in it, or null): an init as ENTRYPOINT in front
 * of the program in exec form (a shell-form start made exec form, an entrypoint
 * script's last command exec'd). The fix is the whole change: nothing is asked of how
 * the image is run. Null, with `why`, when no such fix is known.
 */
export function proposeFix(
  f: DockerfileFacts,
  failed: Set<string>,
  contextDir: string,
  init: string | null,
): ProposedFix | { none: string } | null {
  const signals = CHECKS.some((c) => c.fixedByExecForm && failed.has(c.name));
  const reaping = CHECKS.some((c) => c.fixedByInit && failed.has(c.name));
  if (!signals && !reaping) return null;
  if (f.pid1.kind === 'init') return null;
  if (!init)
    return {
      none: `no fix known from what the image holds: it has no init (${['tini', 'dumb-init', 'catatonit'].join(', ')}); install one in the image and make it the ENTRYPOINT in front of the program in exec form`,
    };
  const text = readFileSync(f.path, 'utf8');
  const rel = posix.basename(f.path);
  const lines = text.split('\n');
  const front = initWords(init);
  const files: Record<string, string> = {};
  let summary: string;
  const start = f.entrypoint ?? f.cmd;
  if (f.pid1.kind === 'shell' && start && start.form === 'shell') {
    // The program in exec form (kept in a shell when it needs one: the init signals the whole group).
    const words = execFormOf(start.text) ?? ['/bin/sh', '-c', start.text];
    if (start.keyword === 'ENTRYPOINT') {
      // An exec-form ENTRYPOINT would take a CMD as its arguments: not a change to make blind.
      if (f.cmd) return { none: 'no fix known: a shell-form ENTRYPOINT with a CMD beside it' };
      lines[start.line - 1] = `ENTRYPOINT ${jsonWords([...front, ...words])}`;
    } else lines[start.line - 1] = `ENTRYPOINT ${jsonWords(front)}\nCMD ${jsonWords(words)}`;
    summary = `${posix.basename(init)} as ENTRYPOINT and the ${start.keyword} in exec form: the init receives the stop signal, passes it to the program and reaps orphans`;
  } else if (f.pid1.kind === 'script' && f.script && f.entrypoint?.form === 'exec') {
    if (!f.script.execsLast) {
      const file = insideFolder(contextDir, f.script.file, 'entrypoint script');
      const body = readFileSync(file, 'utf8');
      const sl = body.split('\n');
      const n = f.script.lastLine - 1;
      sl[n] = (sl[n] ?? '').replace(/^(\s*)/, '$1exec ');
      files[f.script.file] = sl.join('\n');
    }
    lines[f.entrypoint.line - 1] = `ENTRYPOINT ${jsonWords([...front, ...f.entrypoint.args])}`;
    summary = `${posix.basename(init)} as ENTRYPOINT in front of the entrypoint script${f.script.execsLast ? '' : ', which execs its last command'}: the init passes signals on and reaps orphans`;
  } else if (f.pid1.kind === 'program' && f.entrypoint?.form === 'exec') {
    lines[f.entrypoint.line - 1] = `ENTRYPOINT ${jsonWords([...front, ...f.entrypoint.args])}`;
    summary = `${posix.basename(init)} in front of the ENTRYPOINT: the init passes signals on and reaps orphans`;
  } else if (f.pid1.kind === 'program' && !f.entrypoint && f.cmd?.form === 'exec') {
    lines[f.cmd.line - 1] = `ENTRYPOINT ${jsonWords(front)}\n${lines[f.cmd.line - 1]}`;
    summary = `${posix.basename(init)} as ENTRYPOINT in front of the CMD: the init passes signals on and reaps orphans`;
  } else return { none: 'no fix known for how this Dockerfile starts its program' };
  const dockerfile = lines.join('\n');
  const diff = [
    unifiedDiff(rel, text, dockerfile),
    ...Object.entries(files).map(([file, body]) =>
      unifiedDiff(file, readFileSync(insideFolder(contextDir, file, 'entrypoint script'), 'utf8'), body),
    ),
  ].join('');
  return { summary, dockerfile, files, diff };
}
