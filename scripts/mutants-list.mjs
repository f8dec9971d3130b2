// The deliberate breakages `npm run mutants` applies, one per check. A unit test
// (suites/unit/mutants-list.test.ts) keeps every line they break present in the
// sources, so the list cannot rot unseen.

/**
 * One breakage per check: [file, text it replaces, replacement, what it breaks].
 * @type {Record<string, [string, string, string, string]>}
 */
export const MUTANTS = {
  pid1: [
    'harness/checks/pid1.ts',
    'pid1: first.comm,',
    'pid1: snapshot.processes.at(-1)?.comm ?? first.comm,',
    'names the last process instead of PID 1',
  ],
  'signal-forwarding': [
    'harness/checks/signal-forwarding.ts',
    "if (!how && ((exited && exited.exitCode === 128 + number) || programGone)) how = 'died';",
    '',
    'does not count a program that died of the signal',
  ],
  'graceful-stop': [
    'harness/checks/graceful-stop.ts',
    'const { observed, evidence, grace } = await measureStop(ctx, container, t0);',
    'const { observed: measured, evidence, grace } = await measureStop(ctx, container, t0);\nconst observed = { ...measured, killed: false };',
    "ignores the engine's SIGKILL events",
  ],
  'zombie-reaping': [
    'harness/checks/zombie-reaping.ts',
    'const first = settled.processes.filter(isZombie);',
    'const first = settled.processes.filter((p) => isZombie(p) && p.ppid !== 1);',
    "leaves PID 1's zombies uncounted",
  ],
  'exec-probe-zombies': [
    'harness/checks/exec-probe-zombies.ts',
    'observed: { probes: PROBES, zombies: zombies.length },',
    'observed: { probes: PROBES, zombies: Math.min(zombies.length, 1) },',
    'counts at most one zombie however many probes left',
  ],
  'exit-code': [
    'harness/checks/exit-code.ts',
    'observed: { exitCode: exited.exitCode, wanted, survived: false },',
    'observed: { exitCode: wanted, wanted, survived: false },',
    "reports the program's code instead of the container's",
  ],
  'orphans-on-stop': [
    'harness/checks/orphans-on-stop.ts',
    'observed: { grandchildren: started, signalled, reached,',
    'observed: { grandchildren: started, signalled: programDied ? 0 : signalled, reached,',
    "hides the orphans' signals when the program died of its own",
  ],
  'stop-signal': [
    'harness/checks/stop-signal.ts',
    'const declared = (await container.config()).stopSignal;',
    "const declared = 'SIGTERM';",
    "takes the engine's default for the image's STOPSIGNAL",
  ],
};

/** The mutants whose line is no longer in the sources under `root`, as one-line reasons. */
export function staleMutants(read) {
  return Object.entries(MUTANTS)
    .filter(([, [file, from]]) => !read(file).includes(from))
    .map(([check, [file]]) => `mutant of ${check}: ${file} no longer has the line it breaks`);
}
