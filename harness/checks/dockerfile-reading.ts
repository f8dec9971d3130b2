/**
 * What a Dockerfile says about how its container starts, as the checks read it to
 * predict their own verdicts. The certify gate parses Dockerfiles into these shapes
 * (certify/dockerfile.ts); they live here, below it, because each check's definition
 * holds its own prediction.
 */

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

/** A prediction from the Dockerfile, before it is labelled with its check. */
export type Predicted = Omit<Prediction, 'check'>;

/**
 * The Dockerfile as a check reads it to predict its own verdict (certify --dockerfile):
 * the facts, the start line, and the two readings several checks share.
 */
export interface DockerfileReading {
  facts: DockerfileFacts;
  /** The ENTRYPOINT or CMD line that starts PID 1 (null when it is inherited). */
  line: number | null;
  /** ' (STOPSIGNAL X, line N)' when the Dockerfile declares one, else ''. */
  stopNote: string;
  /**
   * A fail when the stop signal cannot reach the program (a shell, or an entrypoint
   * script that does not `exec`, is PID 1), its reason ending with `then`; else undefined.
   */
  deaf(then: string): Predicted | undefined;
  /** A check that needs the stop signal to reach the program: deaf's fail, a pass behind an init, else unknown (`fine` says on what it depends). */
  signalled(then: string, fine: string): Predicted;
}
