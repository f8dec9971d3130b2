// Watchdog started detached by a run: when the run's process dies (Ctrl-C, crash,
// SIGKILL) it removes every container and network labelled with that run id, so an
// interrupted run leaves nothing behind. Plain JS so it starts without a TS loader.
// argv: <runId> <watchedPid>; env HARNESS_REAPER_ENGINE: how to reach the engine, as
// JSON: { socketPath } | { host, port, tls?: { certPath, verify } } | { ssh: [args] }
// (ssh's arguments for a forward to a local socket named "{local}", opened only when
// there is something to sweep, since the run's own forward died with it).
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [runId, watchedPidText] = process.argv.slice(2);
const watchedPid = Number(watchedPidText);
const spec = JSON.parse(process.env.HARNESS_REAPER_ENGINE ?? '{}');
let forward;

async function connect() {
  if (spec.ssh) {
    // The run's own private folder (see safe-paths.ts): never a shared fixed path.
    const dir = join(tmpdir(), `harness-ssh-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0)
      throw new Error(`${dir} is not private`);
    const local = join(dir, `reaper-${process.pid}.sock`);
    forward = spawn(
      'ssh',
      spec.ssh.map((a) => a.replace('{local}', local)),
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 15_000;
    while (!existsSync(local) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return new Docker({ socketPath: local, host: undefined });
  }
  if (spec.host) {
    const read = (name) => (spec.tls ? readFileSync(join(spec.tls.certPath, name)) : undefined);
    return new Docker({
      host: spec.host,
      port: spec.port,
      protocol: spec.tls ? 'https' : 'http',
      ca: read('ca.pem'),
      cert: read('cert.pem'),
      key: read('key.pem'),
      ...(spec.tls && !spec.tls.verify ? { checkServerIdentity: () => undefined } : {}),
    });
  }
  return new Docker({ socketPath: spec.socketPath, host: undefined });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function sweep(docker) {
  const filters = { label: [`io.harness.run=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters }).catch(() => []);
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const networks = await docker.listNetworks({ filters }).catch(() => []);
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  return containers.length + networks.length;
}

// The owner ends us with SIGTERM after its own teardown: nothing left to do then.
process.on('SIGTERM', () => process.exit(0));
const timer = setInterval(async () => {
  if (alive(watchedPid)) return;
  clearInterval(timer);
  // Containers created in the last instant before the owner died can still be
  // appearing: sweep twice.
  const docker = await connect();
  // Sweep until two sweeps in a row find nothing: a create the engine was still
  // answering when the run died, or a container that could not go before the one that
  // joined it (Podman), is found by a later sweep. The deadline only stops a hang.
  const deadline = Date.now() + 120_000;
  for (let quiet = 0; quiet < 2 && Date.now() < deadline;) {
    quiet = (await sweep(docker)) ? 0 : quiet + 1;
    await new Promise((r) => setTimeout(r, 1000));
  }
  forward?.kill();
  process.exit(0);
}, 500);
