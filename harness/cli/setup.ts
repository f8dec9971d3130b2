import { BadInputError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { CRI_BRIDGE, CRI_SUBNET } from '../cri/containerd.js';
import { bringUpCri, prepare } from '../prepare.js';
import { parse, type Options } from './args.js';
import { interruptHandlers } from './interrupt.js';

export const setupHelp = `harness setup [--engine docker|podman] [--runtime cri]

Makes this machine ready to run the harness, and changes nothing when it already is:
  1. a container engine: when none answers and this runs as root on Debian, installs
     Debian's docker.io (if needed) and starts dockerd, waiting up to 60 s for it;
     otherwise says what to do. With --engine podman: installs Debian's podman (if
     needed) and serves its Docker-compatible API on /run/podman/podman.sock (then
     point the harness at it with DOCKER_HOST=unix:///run/podman/podman.sock);
  2. the base image (HARNESS_BASE_IMAGE, default harness/base:bookworm): built from
     debian:bookworm-slim when that can be had, else bootstrapped offline with
     debootstrap (about a minute, once);
  3. the toolbox image, the sidecar that reads process tables;
  4. with --runtime cri, also the harness's own containerd with its CRI plugin (the
     runtime a kubelet drives): Debian's containerd and containernetworking-plugins
     installed when missing (as root), started with its own root, state and socket
     under the harness's state folder, its own CNI bridge (${CRI_BRIDGE}, ${CRI_SUBNET})
     and a pause image built from the base; the engine's own containerd is never
     touched. It runs until \`harness clean\` stops it.
Exit 0 when ready, 2 when something could not be set up.`;

/** The options `harness setup` takes (its help text names each: a unit test checks). */
export const setupOptions = { engine: { type: 'string' }, runtime: { type: 'string' } } satisfies Options;

export async function setupCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parse('setup', argv, setupOptions);
  if (values.engine !== undefined && values.engine !== 'docker' && values.engine !== 'podman')
    throw new BadInputError(`setup: --engine must be docker or podman, got "${values.engine}"`);
  if (values.runtime !== undefined && values.runtime !== 'cri')
    throw new BadInputError(
      `setup: --runtime must be cri (the engine's own runtime needs none), got "${values.runtime}"`,
    );
  const ready = await prepare(stderrLogger, { engine: values.engine });
  interruptHandlers.push(() => ready.session.interrupt());
  let cri = '';
  try {
    if (values.runtime === 'cri') {
      const state = await bringUpCri(ready, stderrLogger);
      cri = `; cri: containerd ${state.version} at ${state.socket} (sandbox image ${state.sandboxImage})`;
    }
  } finally {
    await ready.session.teardown();
  }
  out(
    `ready: ${ready.engine.info.kind} ${ready.engine.info.version} at ${ready.engine.info.endpoint}${ready.engine.info.kind === 'podman' ? ` (DOCKER_HOST=${ready.engine.connection.url})` : ''}; base ${ready.base.tag}; toolbox ${ready.toolbox.tag}${cri}`,
  );
  return 0;
}
