import type { TestProject } from 'vitest/node';
import { CERTIFY_FIXTURES, certifyFixtureSpec, VARIANTS } from '../../harness/images/catalogue.js';
import { ensureImage } from '../../harness/images/build.js';
import { stderrLogger } from '../../harness/log.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildVariants, measureLoad, prepare, prepareCri } from '../../harness/prepare.js';
import { criStatus } from '../../harness/cri/containerd.js';
import { isRoot } from '../../harness/engine/bringup.js';
import { AdaptiveBound, describeLoad, targetLatencyMs } from '../../harness/run/load.js';
import { startSlotServer } from '../../harness/run/slots.js';

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
  /** The run's slot server: one bound on scenario containers in flight across all test files. */
  slots: { path: string; size: number };
  /** The harness's containerd's socket, when it answers (the pod suite then runs on it too); else ''. */
  criSocket: string;
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
  // The harness's containerd, as \`harness setup --runtime cri\` brings it up. Like the
  // engine, it keeps running afterwards (both projects' setups share it; \`harness
  // clean\` stops it); each project removes its own run's sandboxes.
  const criBefore = await criStatus();
  // Starting one takes root; without it (and none running) the pod suite runs on the engine alone.
  const cri = criBefore.state === 'ready' || isRoot() ? await prepareCri(ready, log) : undefined;
  if (!cri) log(`${project.name}: no containerd of the harness's and not root: the pod suite runs on the engine only`);
  const images = await buildVariants(ready.session, ready.base.tag, VARIANTS, log);
  const fixtures: Record<string, string> = {};
  for (const name of CERTIFY_FIXTURES) {
    fixtures[name] = (await ensureImage(ready.session, certifyFixtureSpec(name, ready.base.tag), log)).tag;
  }
  // HARNESS_CONCURRENCY overrides the bound, as --concurrency does for the CLI.
  const option = process.env.HARNESS_CONCURRENCY
    ? Math.max(1, Number(process.env.HARNESS_CONCURRENCY) || 1)
    : undefined;
  const load = await measureLoad(ready.runtime, ready.toolbox.tag, option);
  // A bound derived from the machine follows the engine's latency during the run, for
  // the suites' 2 s grace periods; one given by HARNESS_CONCURRENCY is kept as given.
  const bound = option ? undefined : new AdaptiveBound(load.concurrency, targetLatencyMs(2));
  const slots = await startSlotServer(
    join(tmpdir(), `harness-slots-${ready.session.runId}.sock`),
    load.concurrency,
    bound,
  );
  log(`${project.name}: scenario containers in flight, across all test files: ${describeLoad(load)}`);
  project.provide('harness', {
    runId: ready.session.runId,
    ownerPid: process.pid,
    endpoint: ready.engine.connection.url,
    baseImage: ready.base.tag,
    toolboxImage: ready.toolbox.tag,
    images: Object.fromEntries([...images].map(([name, img]) => [name, img.tag])),
    fixtures,
    slots: { path: slots.path, size: slots.size },
    criSocket: cri?.paths.socket ?? '',
  });
  return async () => {
    const { granted, peak } = slots.stats();
    const down = bound && bound.lowest < load.concurrency ? ` (down to ${bound.lowest} as the engine slowed)` : '';
    log(`${project.name}: ${granted} scenario(s) ran, at most ${peak} at once${down}`);
    // Where the slot time went: the files that held the run's slots longest.
    for (const u of slots.usage().slice(0, 8)) {
      log(
        `${project.name}:   ${u.label}: ${u.slots} slot(s), held ${u.heldS.toFixed(0)} s (mean ${(u.heldS / u.slots).toFixed(1)} s), waited ${u.waitedS.toFixed(0)} s`,
      );
    }
    await slots.close();
    try {
      await cri?.teardown({ wholeRun: true });
    } finally {
      await ready.session.teardown();
    }
  };
}
