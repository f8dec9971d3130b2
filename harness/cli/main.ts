import { describeError, HarnessError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { guardStream } from '../secrets.js';
import { didYouMean } from './suggest.js';
import { interruptHandlers } from './interrupt.js';
import { VERSION } from '../version.js';
import { COMMANDS, HELP, type Command, type Out } from './commands.js';

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
