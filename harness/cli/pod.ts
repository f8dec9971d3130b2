import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { PodRun } from '../pod/kubelet.js';
import { parsePod } from '../pod/manifest.js';
import { EMULATION_NOTES, podStatus } from '../pod/status.js';
import { reportsDir } from '../paths.js';
import { prepare } from '../prepare.js';
import { parse, positiveNumber } from './args.js';
import { FACEOFF_SCENARIOS, faceOffRows, runScenarioPods } from '../pod/faceoff.js';
import { renderPodHtml } from '../report/pod-html.js';
import { interruptHandlers } from './interrupt.js';

export const podHelp = `harness pod run FILE [options]

Runs a Pod manifest (apiVersion v1, kind Pod) on the local engine with the kubelet's
lifecycle: a sandbox holding the pod's network (and, with shareProcessNamespace, PID)
namespace; init containers one at a time; app containers with postStart, startup /
liveness / readiness probes (exec, httpGet, tcpSocket), restarts per restartPolicy with
CrashLoopBackOff; and the termination sequence (preStop, stop signal, grace >= 2 s,
SIGKILL) when the pod is deleted. Writes DIR/pod.json: status (PodStatus shape) and
events (a timeline in ms from the start), and pod.html. Live events on stderr.

Options:
  --for SECONDS            run at most this long (default 30)
  --delete-after SECONDS   delete the pod after this long (default: --for)
  --grace-override SECONDS terminationGracePeriodSeconds for the deletion
  --backoff-scale FACTOR   multiply CrashLoopBackOff delays (default 1; 0.1 for tests)
  --out DIR                output folder (default reports/pod/<name>)
  --no-faceoff             skip the face-off section of pod.html (postStart hook vs init
                           container vs startup probe, measured from the reference pods
                           in images/pods/, run alongside)

Exit 0 when the run completed (whatever the pod did), 2 on an invalid manifest or
environment. The manifest is validated with the API server's defaults and rules.`;

export async function podCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'run') throw new BadInputError(`pod: unknown subcommand "${sub ?? ''}" (use \`harness pod run FILE\`)`);
  const { values, positionals } = parse(
    'pod run',
    rest,
    {
      for: { type: 'string' },
      'delete-after': { type: 'string' },
      'grace-override': { type: 'string' },
      'backoff-scale': { type: 'string' },
      out: { type: 'string' },
      'no-faceoff': { type: 'boolean' },
    },
    true,
  );
  if (positionals.length !== 1) throw new BadInputError('pod run: give exactly one manifest FILE');
  const file = positionals[0] as string;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const spec = parsePod(text, file);
  const forS = positiveNumber('pod run', 'for', values.for, 30);
  const deleteAfter = Math.min(forS, positiveNumber('pod run', 'delete-after', values['delete-after'], forS));
  const graceOverride = values['grace-override'] === undefined ? undefined : Number(values['grace-override']);
  if (graceOverride !== undefined && !(graceOverride >= 0))
    throw new BadInputError('pod run: --grace-override must be a number >= 0');
  const backoffScale = positiveNumber('pod run', 'backoff-scale', values['backoff-scale'], 1);
  const outDir = resolve(values.out ?? join(reportsDir(), 'pod', spec.name));

  const ready = await prepare(stderrLogger);
  interruptHandlers.push(() => ready.session.teardown());
  try {
    const run = new PodRun(
      ready.session,
      ready.toolbox.tag,
      spec,
      { deleteAfterSeconds: deleteAfter, graceOverrideSeconds: graceOverride, backoffScale },
      (line) => process.stderr.write(`${line}\n`),
    );
    const ctx = {
      session: ready.session,
      toolboxImage: ready.toolbox.tag,
      graceSeconds: spec.terminationGracePeriodSeconds,
    };
    const faceOff = values['no-faceoff'] ? undefined : runScenarioPods(ctx, FACEOFF_SCENARIOS, ready.base.tag);
    await run.run();
    mkdirSync(outDir, { recursive: true });
    const path = join(outDir, 'pod.json');
    const doc = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: spec.name },
      status: podStatus(run),
      events: run.timeline.events,
      emulation: {
        engine: ready.engine.info.kind,
        backoffScale,
        deleteAfterSeconds: deleteAfter,
        notes: EMULATION_NOTES,
      },
    };
    writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
    const html = join(outDir, 'pod.html');
    writeFileSync(html, renderPodHtml(doc, faceOff ? faceOffRows(await faceOff) : undefined));
    out(
      `pod ${spec.name}: phase ${doc.status.phase}; ${doc.status.containerStatuses.map((c) => `${c.name} restarts ${c.restartCount}`).join(', ')}`,
    );
    out(`wrote ${path}, ${html}`);
    return 0;
  } finally {
    await ready.session.teardown();
  }
}
