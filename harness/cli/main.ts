import { describeError, HarnessError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { doctor, doctorHelp } from './doctor.js';
import { setupCommand, setupHelp } from './setup.js';
import { cleanCommand, cleanHelp } from './clean.js';
import { interruptHandlers } from './interrupt.js';
import { matrixCommand, matrixHelp } from './matrix.js';
import { reportCommand, reportHelp } from './report.js';
import { certifyCommand, certifyHelp } from './certify.js';
import { podCommand, podHelp } from './pod.js';

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

interface Command {
  help: string;
  run: (argv: string[]) => Promise<number>;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

const COMMANDS: Record<string, Command> = {
  doctor: {
    help: doctorHelp,
    run: async () => {
      await doctor(out);
      return 0;
    },
  },
  setup: { help: setupHelp, run: (argv) => setupCommand(argv, out) },
  clean: { help: cleanHelp, run: (argv) => cleanCommand(argv, out) },
  matrix: { help: matrixHelp, run: (argv) => matrixCommand(argv, out) },
  report: { help: reportHelp, run: (argv) => reportCommand(argv, out) },
  certify: { help: certifyHelp, run: (argv) => certifyCommand(argv, out) },
  pod: { help: podHelp, run: (argv) => podCommand(argv, out) },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(HELP);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    out('0.1.0');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(
      `harness: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; see \`harness --help\`)\n`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.help);
    return 0;
  }
  return command.run(rest);
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
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
