import { describeError, HarnessError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { guardStream } from '../secrets.js';
import { didYouMean } from './suggest.js';
import { interruptHandlers } from './interrupt.js';
import { VERSION } from '../version.js';

const HELP = `harness: runs container images on a real engine and measures how they behave at the
edges of their life (PID 1, signals, zombies, exit codes, shutdown timing).

Usage: harness <command> [options]

Commands:
  setup    make this machine ready: bring up an engine, build the base and toolbox images
  doctor   say whether this machine is ready, and what to run if not
  matrix   run the battery over the sample catalogue and write a report
  certify  pass or fail any image under a policy (exit 0 pass, 1 fail)
  pod      run a Pod manifest with the kubelet's lifecycle on the local engine (pod run FILE)
  report   render a report.json as HTML, Markdown and JUnit, optionally diffed against a baseline
  clean    remove what the harness left on the engine (containers, networks; --images too)

Run \`harness <command> --help\` for a command's options.
Exit codes: 0 pass, 1 a check failed, 2 bad input or environment.`;

type Out = (line: string) => void;

interface Command {
  help: string;
  run: (argv: string[], out: Out) => Promise<number>;
}

/**
 * Each command's module is loaded only when that command runs: `harness --version` or
 * `harness report` never load the engine client, testcontainers or the checks.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  doctor: async () => {
    const m = await import('./doctor.js');
    return { help: m.doctorHelp, run: m.doctorCommand };
  },
  setup: async () => {
    const m = await import('./setup.js');
    return { help: m.setupHelp, run: m.setupCommand };
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

// A reader that goes away (`harness certify IMAGE | head -3`) closes stdout: the rest of
// the output is dropped and the run finishes (teardown included) with its own exit code,
// never a stack trace.
// Everything printed can carry what an image produced (log lines, its USER, probe
// bodies) or a secret given to it: both streams pass through one guard.
guardStream(process.stdout);
guardStream(process.stderr);
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutClosed = true;
});
const out: Out = (line) => {
  if (!stdoutClosed) process.stdout.write(`${line}\n`);
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] && COMMANDS[rest[0]]) {
    out((await (COMMANDS[rest[0]] as () => Promise<Command>)()).help);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(HELP);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    out(VERSION);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    const near = didYouMean(name, Object.keys(COMMANDS));
    process.stderr.write(
      `harness: unknown command "${name}"${near ? `: did you mean ${near}?` : ''} (commands: ${Object.keys(COMMANDS).join(', ')}; see \`harness --help\`)\n`,
    );
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.help);
    return 0;
  }
  return command.run(rest, out);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    stderrLogger(`interrupted: cleaning up (press Ctrl-C again to leave now)`);
    void Promise.allSettled(interruptHandlers.map((h) => h())).then(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  });
}

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (err) {
  code = err instanceof HarnessError ? err.exitCode : 2;
  process.stderr.write(`harness: ${err instanceof HarnessError ? err.message : describeError(err)}\n`);
  if (err instanceof HarnessError && err.detail) process.stderr.write(`${err.detail}\n`);
  if (!(err instanceof HarnessError) && process.env.HARNESS_DEBUG) console.error(err);
}
// Exit once the output is flushed: idle keep-alive sockets to the engine must not hold
// the command open after its work (and teardown) is done.
if (!stdoutClosed) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
