import { ensureEngine } from '../engine/bringup.js';
import { LABEL } from '../engine/labels.js';
import { removeLabelledImages, removeRunObjects } from '../engine/session.js';
import { stderrLogger } from '../log.js';
import { parse } from './args.js';

export const cleanHelp = `harness clean [--images]

Removes every container and network the harness created on this engine, from any run
(also runs still going: use it when nothing else is running). With --images, also the
images it built (base, toolbox, samples): the next run rebuilds them.`;

export async function cleanCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parse('clean', argv, { images: { type: 'boolean' } });
  const engine = await ensureEngine(stderrLogger);
  const filters = { label: [`${LABEL.managed}=true`] };
  const removed = await removeRunObjects(engine, filters);
  const images = values.images ? await removeLabelledImages(engine, filters) : 0;
  out(
    `removed ${removed.containers} container(s), ${removed.networks} network(s)${values.images ? `, ${images} image(s)` : ''}`,
  );
  return 0;
}
