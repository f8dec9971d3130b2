import { criPaths, criStatus, releaseBridge, stopCri } from '../cri/containerd.js';
import { sweepCri } from '../runtime/cri.js';
import { ensureEngine } from '../engine/bringup.js';
import { removeBuiltImages, removeRecordedRuns } from '../engine/session.js';
import { stderrLogger } from '../log.js';
import { parse, type Options } from './args.js';

export const cleanHelp = `harness clean [--images]

Removes every container and network the harness created on this engine, from any run
it recorded on this machine (also runs still going: use it when nothing else is
running). A container someone started by hand, even from a harness-built image, is
never touched. With --images, also the images it built (base, toolbox, samples; not
images built FROM them): the next run rebuilds them. When the harness's own
containerd (\`harness setup --runtime cri\`) runs, removes every pod sandbox the
harness created there, then stops it and removes its bridge and the rules that keep
its pods on it.`;

/** The options `harness clean` takes (its help text names each: a unit test checks). */
export const cleanOptions = { images: { type: 'boolean' } } satisfies Options;

export async function cleanCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parse('clean', argv, cleanOptions);
  const engine = await ensureEngine(stderrLogger);
  const removed = await removeRecordedRuns(engine);
  const images = values.images ? await removeBuiltImages(engine) : 0;
  const sandboxes = (await criStatus()).state === 'ready' ? await sweepCri(criPaths(), true) : 0;
  const cri = await stopCri(stderrLogger);
  if (cri) await releaseBridge();
  out(
    `removed ${removed.containers} container(s), ${removed.networks} network(s)${values.images ? `, ${images} image(s)` : ''}${sandboxes ? `, ${sandboxes} pod sandbox(es)` : ''}${cri ? "; stopped the harness's containerd" : ''}`,
  );
  return 0;
}
