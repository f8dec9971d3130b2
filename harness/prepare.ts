import { ensureEngine, type EngineKind } from './engine/bringup.js';
import type { Engine } from './engine/connect.js';
import { Session } from './engine/session.js';
import { ensureBaseImage, type BaseImage } from './images/base.js';
import { ensureImage, type BuiltImage } from './images/build.js';
import { PROGRAMS, toolboxSpec, variantSpec, VARIANTS, type Program, type Variant } from './images/catalogue.js';
import type { Subject } from './checks/subject.js';
import type { Logger } from './log.js';
import { monotonicMs } from './observe/clock.js';
import { prefetchHelper } from './run/inject.js';
import { defaultConcurrency, type LoadInfo } from './run/load.js';
import { HarnessFaultError } from './errors.js';
import type { HarnessConfig } from './config.js';
import { resolveImage } from './certify/gate.js';
import { DockerRuntime } from './runtime/docker.js';
import type { ContainerRuntime } from './runtime/runtime.js';

export interface Prepared {
  engine: Engine;
  session: Session;
  /** The session's engine as the runtime the checks, the gate and the pod emulator take. */
  runtime: ContainerRuntime;
  base: BaseImage;
  toolbox: BuiltImage;
}

/**
 * Everything `harness setup` does, shared with the test suites' global setup: an
 * engine that answers, a run session (sweeping dead runs), the base and toolbox images.
 */
export async function prepare(log: Logger, options: { runId?: string; engine?: EngineKind } = {}): Promise<Prepared> {
  const engine = await ensureEngine(log, options.engine);
  const session = await Session.open(engine, log, { runId: options.runId });
  try {
    const base = await ensureBaseImage(session, log);
    const toolbox = await ensureImage(session, toolboxSpec(base.tag), log);
    return { engine, session, runtime: DockerRuntime.over(session), base, toolbox };
  } catch (err) {
    await session.teardown();
    throw err;
  }
}

/** Build (or find cached) the sample image of each variant, a few at a time. */
export async function buildVariants(
  session: Session,
  baseTag: string,
  variants: readonly Variant[],
  log: Logger,
  concurrency = 3,
): Promise<Map<string, BuiltImage>> {
  const out = new Map<string, BuiltImage>();
  const queue = [...variants];
  const worker = async () => {
    for (let v = queue.shift(); v; v = queue.shift())
      out.set(v.name, await ensureImage(session, variantSpec(v, baseTag), log));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return out;
}

export const READY_LOG = /ready pid=\d+/;

/** The catalogue subject for a variant run with a program mode. */
export function catalogueSubject(variant: Variant, program: Program, image: string): Subject {
  return {
    name: `${variant.name}/${program}`,
    image,
    variant: variant.name,
    program,
    env: { APP_MODE: program },
    init: variant.init,
    readyLog: READY_LOG,
    // The catalogue programs resolve no name and listen on nothing.
    network: 'loopback',
  };
}

export function catalogueSubjects(
  images: Map<string, BuiltImage>,
  variants: readonly Variant[] = VARIANTS,
  programs: readonly Program[] = PROGRAMS,
): Subject[] {
  return variants.flatMap((v) =>
    programs.map((p) => {
      const image = images.get(v.name);
      if (!image) throw new HarnessFaultError(`no image built for variant ${v.name}`);
      return catalogueSubject(v, p, image.tag);
    }),
  );
}

/**
 * The engine's latency right now: a trivial toolbox container created, run to its exit
 * and removed, twice in a row; the quicker, ms (the first may share the engine with the
 * run's node observer starting). The bound it sets follows the engine during the run
 * (AdaptiveBound), so this only sizes the start.
 */
async function measureEngineStart(runtime: ContainerRuntime, toolboxImage: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 2; i++) {
    const t0 = monotonicMs();
    const id = await runtime.start({ image: toolboxImage, purpose: 'latency-probe', entrypoint: ['true'] });
    try {
      await runtime.wait(id, 60_000);
    } finally {
      await runtime.remove(id);
    }
    times.push(monotonicMs() - t0);
  }
  return Math.min(...times);
}

/**
 * Containers in flight at once: the user's number, or derived from the cores and the
 * engine's latency. The run's node observer and the injected helper are started beside
 * the measurement, so no scenario waits for them on its way to ready.
 */
export async function measureLoad(runtime: ContainerRuntime, toolboxImage: string, option?: number): Promise<LoadInfo> {
  runtime.prepare?.(toolboxImage);
  prefetchHelper(runtime, toolboxImage);
  if (option !== undefined) return { concurrency: option, source: 'option' };
  return defaultConcurrency(undefined, await measureEngineStart(runtime, toolboxImage));
}

/**
 * The subjects of a config file: images used as they are (local, or pulled), build
 * contexts built (cached by content hash like every image of the harness).
 */
export async function configSubjects(session: Session, config: HarnessConfig, log: Logger): Promise<Subject[]> {
  const subjects: Subject[] = [];
  for (const c of config.subjects) {
    let image = c.image;
    if (c.build) {
      const built = await ensureImage(
        session,
        {
          name: `config-${c.subject.name.replace(/[^A-Za-z0-9_.-]+/g, '-').toLowerCase()}`,
          contextDir: c.build.contextDir,
          dockerfile: c.build.dockerfile,
          include: ['.'],
          purpose: 'config-subject',
          ...(Object.keys(c.build.args).length ? { buildArgs: c.build.args } : {}),
        },
        log,
      );
      image = built.tag;
    } else if (image) {
      await resolveImage(DockerRuntime.over(session), image, log);
    }
    subjects.push({ ...c.subject, image: image as string });
  }
  return subjects;
}

/**
 * The harness's containerd brought up as \`harness setup --runtime cri\` does (see
 * ensureCri: root, Debian's containerd, its own socket and CNI bridge), with the pause
 * image built from the base and imported; changes nothing when it is ready.
 */
export async function bringUpCri(ready: Prepared, log: Logger) {
  const [{ ensureCri }, { saveImage }, { pauseSpec }] = await Promise.all([
    import('./cri/containerd.js'),
    import('./engine/images.js'),
    import('./images/catalogue.js'),
  ]);
  const pause = await ready.runtime.build(pauseSpec(ready.base.tag), log);
  return ensureCri(log, { ref: pause, save: () => saveImage(ready.session, pause) });
}

/**
 * The harness's containerd as the runtime (\`--runtime cri\`): brought up when it does not
 * run (bringUpCri), then driven for the session's run. Its sandboxes go with
 * \`teardown()\`.
 */
export async function prepareCri(ready: Prepared, log: Logger): Promise<import('./runtime/cri.js').CriRuntime> {
  await bringUpCri(ready, log);
  const { CriRuntime } = await import('./runtime/cri.js');
  return CriRuntime.open(DockerRuntime.over(ready.session), log);
}
