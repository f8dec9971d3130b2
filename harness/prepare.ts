import { ensureEngine } from './engine/bringup.js';
import type { Engine } from './engine/connect.js';
import { Session } from './engine/session.js';
import { ensureBaseImage, type BaseImage } from './images/base.js';
import { ensureImage, type BuiltImage } from './images/build.js';
import { PROGRAMS, toolboxSpec, variantSpec, VARIANTS, type Program, type Variant } from './images/catalogue.js';
import type { Subject } from './checks/subject.js';
import type { Logger } from './log.js';

export interface Prepared {
  engine: Engine;
  session: Session;
  base: BaseImage;
  toolbox: BuiltImage;
}

/**
 * Everything `harness setup` does, shared with the test suites' global setup: an
 * engine that answers, a run session (sweeping dead runs), the base and toolbox images.
 */
export async function prepare(log: Logger, options: { runId?: string } = {}): Promise<Prepared> {
  const engine = await ensureEngine(log);
  const session = await Session.open(engine, log, { runId: options.runId });
  try {
    const base = await ensureBaseImage(session, log);
    const toolbox = await ensureImage(session, toolboxSpec(base.tag), log);
    return { engine, session, base, toolbox };
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
      if (!image) throw new Error(`no image built for variant ${v.name}`);
      return catalogueSubject(v, p, image.tag);
    }),
  );
}
