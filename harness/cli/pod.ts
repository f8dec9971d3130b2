import { readFileSync, writeFileSync } from 'node:fs';
import { makeOutputDir } from '../report/write.js';
import { join, resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import { stderrLogger } from '../log.js';
import { PodRun } from '../pod/kubelet.js';
import { allOf, parseUntil } from '../pod/until.js';
import { parsePod } from '../pod/manifest.js';
import { podStatus } from '../pod/status.js';
import { notesFor } from '../pod/fidelity.js';
import { outputDir } from '../paths.js';
import { prepare, prepareCri } from '../prepare.js';
import type { CriRuntime } from '../runtime/cri.js';
import { LIMITS, parse, positiveNumber, runtimeOption, type Options } from './args.js';
import { FACEOFF_SCENARIOS, faceOffRows, runScenarioPods } from '../pod/faceoff.js';
import { inBackground } from '../run/pool.js';
import { renderPodHtml } from '../report/pod-html.js';
import { interruptHandlers } from './interrupt.js';

export const podHelp = `harness pod run FILE [options]

Runs a Pod on the local engine with the kubelet's lifecycle. FILE is a Pod, or a
Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob whose pod template runs
as one replica; other documents in the file (Services, ConfigMaps...) are skipped.

The pod gets a sandbox on its own internal engine network (no route off the machine)
with a pod IP, reached from a node-side helper as the kubelet reaches it from the node;
init containers one at a time and native sidecars (restartPolicy: Always); app
containers in order (a postStart hook holds the next); startup / liveness / readiness
probes (exec, httpGet, tcpSocket, grpc); images pulled as imagePullPolicy says
(ErrImagePull, ImagePullBackOff); a container that cannot start is a StartError, and
every exit is restarted per restartPolicy with CrashLoopBackOff; and on deletion the
termination sequence (preStop, stop signal, grace >= 2 s, SIGKILL; sidecars stop last).
A container that cannot run never ends the run: only an engine that stops answering
does. Writes DIR/pod.json: status (PodStatus shape),
events (kubectl-describe reasons and messages, a timeline in ms from the start), the
endpoint view, and the emulation notes; and pod.html. Live events on stderr.

Options:
  --until CONDITION        delete the pod as soon as CONDITION holds (repeatable: all
                           must hold). CONDITION is one of:
                             restarts>=N            any container restarted N times
                             CONTAINER.restarts>=N  that container
                             phase=PHASE            Pending, Running, Succeeded, Failed
                             CONTAINER.ready        that container is Ready (=false: not)
                             REASON>=N              N events with that reason, e.g.
                                                    Unhealthy>=3, app.Killing>=1
                           With --until, --for is the deadline (default 300 s); when it
                           passes first, the pod is deleted anyway and the exit is 1.
  --for SECONDS            run at most this long (default 30; with --until, 300)
  --delete-after SECONDS   delete the pod after this long (default: --for; not with --until)
  --grace-override SECONDS terminationGracePeriodSeconds for the deletion
  --backoff-scale FACTOR   multiply CrashLoopBackOff delays (default 1; 0.1 for tests)
  --select KIND/NAME       the object to run when FILE holds several (e.g. Deployment/web)
  --runtime docker|cri     what runs the pod (default docker: the engine, with the
                           sandbox built of containers on an internal network). cri:
                           the harness's own containerd through the CRI, as a kubelet
                           drives it (RunPodSandbox, a pod IP on its CNI bridge probed
                           from the host, StopContainer with the grace period, ExecSync
                           probes); started as \`harness setup --runtime cri\` does when
                           it does not run (as root)
  --out DIR                output folder (default reports/pod/<name>)
  --no-faceoff             skip the face-off section of pod.html (postStart hook vs init
                           container vs startup probe, measured from the reference pods
                           in images/pods/, run alongside)

Exit 0 when the run completed (whatever the pod did), 1 when an --until condition did
not hold before the deadline, 2 on an invalid manifest, option or environment. The manifest is validated with the API server's defaults and rules.
How close each behaviour comes to the kubelet: the fidelity table in docs/pod.md.`;

/** The options `harness pod` takes (its help text names each: a unit test checks). */
export const podOptions = {
  until: { type: 'string', multiple: true },
  for: { type: 'string' },
  'delete-after': { type: 'string' },
  'grace-override': { type: 'string' },
  'backoff-scale': { type: 'string' },
  out: { type: 'string' },
  select: { type: 'string' },
  'no-faceoff': { type: 'boolean' },
  runtime: { type: 'string' },
} satisfies Options;

export async function podCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'run') throw new BadInputError(`pod: unknown subcommand "${sub ?? ''}" (use \`harness pod run FILE\`)`);
  const { values, positionals } = parse('pod run', rest, podOptions, true);
  if (positionals.length !== 1) throw new BadInputError('pod run: give exactly one manifest FILE');
  const file = positionals[0] as string;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const spec = parsePod(text, file, values.select);
  const until = values.until?.length ? allOf(values.until.map(parseUntil)) : undefined;
  if (until && values['delete-after'] !== undefined)
    throw new BadInputError('pod run: --delete-after and --until do not go together (--for is the deadline)');
  const forS = positiveNumber('pod run', 'for', values.for, until ? 300 : 30);
  const deleteAfter = Math.min(forS, positiveNumber('pod run', 'delete-after', values['delete-after'], forS));
  const graceOverride = values['grace-override'] === undefined ? undefined : Number(values['grace-override']);
  if (graceOverride !== undefined && !(graceOverride >= 0 && graceOverride <= LIMITS.seconds))
    throw new BadInputError(`pod run: --grace-override must be a number from 0 to ${LIMITS.seconds}`);
  const backoffScale = positiveNumber('pod run', 'backoff-scale', values['backoff-scale'], 1, 100);
  const outDir = resolve(values.out ?? join(outputDir(), 'pod', spec.name));
  const runtimeName = runtimeOption('pod run', values.runtime);

  const ready = await prepare(stderrLogger);
  interruptHandlers.push(() => ready.session.interrupt());
  let cri: CriRuntime | undefined;
  try {
    if (runtimeName === 'cri') {
      cri = await prepareCri(ready, stderrLogger);
      const opened = cri;
      interruptHandlers.unshift(() => opened.teardown());
    }
    const runtime = cri ?? ready.runtime;
    const run = new PodRun(
      runtime,
      ready.toolbox.tag,
      spec,
      { deleteAfterSeconds: deleteAfter, until, graceOverrideSeconds: graceOverride, backoffScale },
      (line) => process.stderr.write(`${line}\n`),
    );
    const ctx = {
      runtime,
      toolboxImage: ready.toolbox.tag,
      graceSeconds: spec.terminationGracePeriodSeconds,
    };
    const faceOff = values['no-faceoff']
      ? undefined
      : inBackground(runScenarioPods(ctx, FACEOFF_SCENARIOS, ready.base.tag));
    await run.run();
    makeOutputDir(outDir);
    const path = join(outDir, 'pod.json');
    const doc = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: spec.name, namespace: spec.namespace, uid: spec.uid },
      status: podStatus(run),
      endpoint: { conditions: run.endpoint() },
      events: run.timeline.events,
      emulation: {
        engine: ready.engine.info.kind,
        runtime: cri ? `cri (containerd ${cri.version})` : ready.engine.info.kind,
        backoffScale,
        deleteAfterSeconds: deleteAfter,
        ...(until ? { until: { condition: until.text, met: run.untilMet === true } } : {}),
        from: spec.from,
        notes: notesFor(spec, runtimeName),
      },
    };
    writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
    const html = join(outDir, 'pod.html');
    writeFileSync(html, renderPodHtml(doc, faceOff ? faceOffRows(await faceOff()) : undefined));
    out(
      `pod ${spec.name}: phase ${doc.status.phase}; ${doc.status.containerStatuses.map((c) => `${c.name} restarts ${c.restartCount}`).join(', ')}`,
    );
    if (until)
      out(
        run.untilMet
          ? `stopped when ${until.text} held`
          : `${until.text} did not hold within ${deleteAfter} s: the pod was deleted anyway`,
      );
    out(`wrote ${path}, ${html}`);
    return until && !run.untilMet ? 1 : 0;
  } finally {
    try {
      await cri?.teardown();
    } finally {
      await ready.session.teardown();
    }
  }
}
