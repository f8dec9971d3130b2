import { ensureEngine } from '../engine/bringup.js';
import { LABEL } from '../engine/labels.js';
import { removeContainer } from '../engine/session.js';
import { stderrLogger } from '../log.js';
import { parse } from './args.js';

export const cleanHelp = `harness clean [--images]

Removes every container and network the harness created on this engine, from any run
(also runs still going: use it when nothing else is running). With --images, also the
images it built (base, toolbox, samples): the next run rebuilds them.`;

export async function cleanCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parse('clean', argv, { images: { type: 'boolean' } });
  const { docker } = await ensureEngine(stderrLogger);
  const filters = { label: [`${LABEL.managed}=true`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => removeContainer(docker, c.Id)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove()));
  let images = 0;
  if (values.images) {
    const list = await docker.listImages({ filters });
    // Children first: sample images before the base they were built on.
    for (const img of list.sort((a, b) => b.Created - a.Created)) {
      await docker.getImage(img.Id).remove({ force: true });
      images++;
    }
  }
  out(
    `removed ${containers.length} container(s), ${networks.length} network(s)${values.images ? `, ${images} image(s)` : ''}`,
  );
  return 0;
}
