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
    switch (s.check) {
      case 'pid1':
        ps(id);
        break;
      case 'signal-forwarding':
        docker(['kill', '-s', s.scenario, id]);
        until(QUIET_MS, () => logs(id).includes(`signal ${s.scenario}`) || exited(id));
        break;
      case 'graceful-stop':
      case 'stop-signal':
        docker(['stop', '-t', String(s.grace), id]);
        docker(['inspect', '--format', '{{.State.ExitCode}}', id]);
        logs(id);
        break;
      case 'zombie-reaping':
        if (s.scenario === 'injected') spawnSync('docker', ['exec', id, 'sh', '-c', 'sleep 0.3 & kill -KILL $$']);
        zombiesAfterQuiet(id);
        break;
      case 'exec-probe-zombies':
        for (let i = 0; i < 3; i++) spawnSync('docker', ['exec', id, 'sh', '-c', 'sleep 0.3 & kill -KILL $$']);
        zombiesAfterQuiet(id);
        break;
      case 'exit-code':
        until(HANG_MS, () => exited(id) || /survived SIG/.test(logs(id)));
        docker(['inspect', '--format', '{{.State.ExitCode}}', id]);
        break;
      case 'orphans-on-stop':
        until(HANG_MS, () => (logs(id).match(/^grandchild pid=\d+ started/gm) ?? []).length >= 2);
        ps(id);
        docker(['stop', '-t', String(s.grace), id]);
        logs(id);
        break;
      default:
        throw new Error(`the naive loop has no recipe for ${s.check}`);
    }
  } finally {
    docker(['rm', '-f', id]);
  }
  return id;
}
