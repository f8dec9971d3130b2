/**
 * The commands, their help texts and how each is loaded. main.ts runs them; the
 * reference in docs/commands.md is rendered from the same help texts (reference.ts).
 */

export const HELP = `harness: runs container images on a real engine and measures how they behave at the
edges of their life (PID 1, signals, zombies, exit codes, shutdown timing).

Usage: harness <command> [options]

Commands:
  setup    make this machine ready: bring up an engine, build the base and toolbox images
  init     set a repository up: a config of its Dockerfiles, the policy, a CI workflow
  doctor   say whether this machine is ready, and what to run if not
  matrix   run the battery over the sample catalogue and write a report
  certify  pass or fail any image under a policy (exit 0 pass, 1 fail)
  pod      run a Pod manifest with the kubelet's lifecycle on the local engine (pod run FILE)
  report   render a report.json as HTML, Markdown and JUnit, optionally diffed against a baseline
  clean    remove what the harness left on the engine (containers, networks; --images too)

Run \`harness <command> --help\` for a command's options.
Exit codes: 0 pass, 1 a check failed, 2 bad input or environment.`;

export type Out = (line: string) => void;

export interface Command {
  help: string;
  run: (argv: string[], out: Out) => Promise<number>;
}

/**
 * Each command's module is loaded only when that command runs: `harness --version` or
 * `harness report` never load the engine client, testcontainers or the checks.
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  doctor: async () => {
    const m = await import('./doctor.js');
    return { help: m.doctorHelp, run: m.doctorCommand };
  },
  setup: async () => {
    const m = await import('./setup.js');
    return { help: m.setupHelp, run: m.setupCommand };
  },
  init: async () => {
    const m = await import('./init.js');
    return { help: m.initHelp, run: m.initCommand };
  },
  clean: async () => {
    const m = await import('./clean.js');
    return { help: m.cleanHelp, run: m.cleanCommand };
  },
  matrix: async () => {
    const m = await import('./matrix.js');
    return { help: m.matrixHelp, run: m.matrixCommand };
  },
  report: async () => {
    const m = await import('./report.js');
    return { help: m.reportHelp, run: m.reportCommand };
  },
  certify: async () => {
    const m = await import('./certify.js');
    return { help: m.certifyHelp, run: m.certifyCommand };
  },
  pod: async () => {
    const m = await import('./pod.js');
    return { help: m.podHelp, run: m.podCommand };
  },
};
