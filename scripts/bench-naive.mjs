// The naive serial loop the bench compares the harness with: the battery's scenarios
// done one after the other with docker CLI calls, as a shell script would do them (run,
// poll the logs for the ready line, act, read, remove), with the same images, signals,
// environment and grace period. Each scenario gets its own container, as in the harness.
// What the loop cannot know (whether an effect is still coming) it waits for with the
// harness's own shortest quiet window.
import { execFileSync, spawnSync } from 'node:child_process';

const QUIET_MS = 1500;
const HANG_MS = 60_000;

const docker = (args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const nap = () => spawnSync('sleep', ['0.05']);
const logs = (id) => {
  const r = spawnSync('docker', ['logs', id], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
};
const exited = (id) => docker(['inspect', '--format', '{{.State.Running}}', id]) === 'false';

/** Poll until `done()` or `ms` passed; true when it held. */
function until(ms, done) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    nap();
  }
}

/** The container's processes and PID 1's signal masks, through the image's own ps. */
const ps = (id) => docker(['exec', id, 'sh', '-c', 'ps -eo pid,ppid,stat,args; grep ^Sig /proc/1/status']);
/** Zombies show at once where nothing reaps; otherwise a quiet window says none came. */
const zombiesAfterQuiet = (id) => until(QUIET_MS, () => / Z/.test(docker(['exec', id, 'ps', '-eo', 'stat'])));

/**
 * What the naive loop does for each check's scenario, by docker CLI calls. A check with
 * no recipe here is left out of the bench's full-matrix comparison (NAIVE_CHECKS), and
 * the bench says so.
 * @type {Record<string, (id: string, s: { scenario: string, grace: number }) => void>}
 */
const RECIPES = {
  pid1: (id) => ps(id),
  'signal-forwarding': (id, s) => {
    docker(['kill', '-s', s.scenario, id]);
    until(QUIET_MS, () => logs(id).includes(`signal ${s.scenario}`) || exited(id));
  },
  'graceful-stop': (id, s) => stopAndRead(id, s.grace),
  'stop-signal': (id, s) => stopAndRead(id, s.grace),
  'zombie-reaping': (id, s) => {
    if (s.scenario === 'injected') spawnSync('docker', ['exec', id, 'sh', '-c', 'sleep 0.3 & kill -KILL $$']);
    zombiesAfterQuiet(id);
  },
  'exec-probe-zombies': (id) => {
    for (let i = 0; i < 3; i++) spawnSync('docker', ['exec', id, 'sh', '-c', 'sleep 0.3 & kill -KILL $$']);
    zombiesAfterQuiet(id);
  },
  'exit-code': (id) => {
    until(HANG_MS, () => exited(id) || /survived SIG/.test(logs(id)));
    docker(['inspect', '--format', '{{.State.ExitCode}}', id]);
  },
  'orphans-on-stop': (id, s) => {
    until(HANG_MS, () => (logs(id).match(/^grandchild pid=\d+ started/gm) ?? []).length >= 2);
    ps(id);
    docker(['stop', '-t', String(s.grace), id]);
    logs(id);
  },
};

/** The checks the naive loop can do: the bench's full matrix runs these. */
export const NAIVE_CHECKS = Object.keys(RECIPES);

/** Stop with the grace period, then read the exit code and the logs. */
function stopAndRead(id, grace) {
  docker(['stop', '-t', String(grace), id]);
  docker(['inspect', '--format', '{{.State.ExitCode}}', id]);
  logs(id);
}

const ENV = {
  'zombie-reaping/program': ['APP_ZOMBIE=1'],
  'exit-code/exit-3': ['APP_EXIT_AFTER=0.3', 'APP_EXIT_CODE=3'],
  'exit-code/signal-SIGTERM': ['APP_EXIT_AFTER=0.3', 'APP_KILL_SELF=SIGTERM'],
  'orphans-on-stop': ['APP_GRANDCHILDREN=2'],
};

/**
 * One scenario: `s` is {check, scenario, program, image, init, grace}. Returns the
 * container's id after removing it.
 */
export function naiveScenario(s) {
  const env = [`APP_MODE=${s.program}`, ...(ENV[`${s.check}/${s.scenario}`] ?? ENV[s.check] ?? [])];
  const id = docker([
    'run',
    '-d',
    '--network',
    'none',
    ...env.flatMap((e) => ['-e', e]),
    ...(s.init ? ['--init'] : []),
    s.image,
  ]);
  try {
    if (!until(HANG_MS, () => /ready pid=/.test(logs(id)) || exited(id))) throw new Error(`${s.image}: never ready`);
    const recipe = RECIPES[s.check];
    if (!recipe) throw new Error(`the naive loop has no recipe for ${s.check}`);
    recipe(id, s);
  } finally {
    docker(['rm', '-f', id]);
  }
  return id;
}
