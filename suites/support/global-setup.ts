import type { TestProject } from 'vitest/node';
import { CERTIFY_FIXTURES, certifyFixtureSpec, VARIANTS } from '../../harness/images/catalogue.js';
import { ensureImage } from '../../harness/images/build.js';
import { stderrLogger } from '../../harness/log.js';
import { buildVariants, prepare } from '../../harness/prepare.js';

export interface HarnessFixture {
  runId: string;
  ownerPid: number;
  endpoint: string;
  baseImage: string;
  toolboxImage: string;
  /** Variant name -> sample image tag. */
  images: Record<string, string>;
  /** Certify fixture name -> image tag. */
  fixtures: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessFixture;
  }
}

/**
 * Runs once per `npm test`: the same code as `harness setup` (engine, base, toolbox),
 * then every sample image. Tears down every object of the run at the end; a reaper
 * process does it if the run is interrupted.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = stderrLogger;
  const ready = await prepare(log);
  const images = await buildVariants(ready.session, ready.base.tag, VARIANTS, log);
  const fixtures: Record<string, string> = {};
  for (const name of CERTIFY_FIXTURES) {
    fixtures[name] = (await ensureImage(ready.session, certifyFixtureSpec(name, ready.base.tag), log)).tag;
  }
  project.provide('harness', {
    runId: ready.session.runId,
    ownerPid: process.pid,
    endpoint: ready.engine.info.endpoint,
    baseImage: ready.base.tag,
    toolboxImage: ready.toolbox.tag,
    images: Object.fromEntries([...images].map(([name, img]) => [name, img.tag])),
    fixtures,
  });
  return async () => {
    await ready.session.teardown();
  };
}
