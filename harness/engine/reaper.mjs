// Watchdog started detached by a run: when the run's process dies (Ctrl-C, crash,
// SIGKILL) it removes every container and network labelled with that run id, so an
// interrupted run leaves nothing behind. Plain JS so it starts without a TS loader.
// argv: <endpoint> <runId> <watchedPid>
import Docker from 'dockerode';

const [endpoint, runId, watchedPidText] = process.argv.slice(2);
const watchedPid = Number(watchedPidText);
const socketPath = endpoint.replace(/^unix:\/\//, '');
const m = /^(tcp|http|https):\/\/([^:/]+)(?::(\d+))?/.exec(endpoint);
const docker = m
  ? new Docker({ host: m[2], port: Number(m[3] ?? 2375), protocol: m[1] === 'https' ? 'https' : 'http' })
  : new Docker({ socketPath });

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function sweep() {
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
}

// The owner ends us with SIGTERM after its own teardown: nothing left to do then.
process.on('SIGTERM', () => process.exit(0));
const timer = setInterval(async () => {
  if (alive(watchedPid)) return;
  clearInterval(timer);
  // Containers created in the last instant before the owner died can still be
  // appearing: sweep twice.
  await sweep();
  await new Promise((r) => setTimeout(r, 1000));
  await sweep();
  process.exit(0);
}, 500);
