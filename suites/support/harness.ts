import { basename } from 'node:path';
import { expect, inject } from 'vitest';
import { criPaths } from '../../harness/cri/containerd.js';
import { CriRuntime } from '../../harness/runtime/cri.js';
import { probeEndpoint } from '../../harness/engine/connect.js';
import { Session } from '../../harness/engine/session.js';
import { silentLogger } from '../../harness/log.js';
import { slotLimiter } from '../../harness/run/slots.js';
import type { CheckContext } from '../../harness/checks/subject.js';
import { DockerRuntime } from '../../harness/runtime/docker.js';

/** A check context on the suite's engine, with the engine session it runs over (for engine-level assertions). */
export type EngineContext = CheckContext & { session: Session };

let cached: Promise<EngineContext> | undefined;

/** The run opened by the global setup, joined from this test worker. */
export function harnessContext(graceSeconds = 2): Promise<EngineContext> {
  cached ??= (async () => {
    const fixture = inject('harness');
    const engine = await probeEndpoint(fixture.endpoint);
    if (!engine) throw new Error(`the engine at ${fixture.endpoint} stopped answering`);
    const session = Session.attach(engine, fixture.runId, fixture.ownerPid, silentLogger);
    return {
      session,
      runtime: DockerRuntime.over(session),
      toolboxImage: fixture.toolboxImage,
      graceSeconds,
      limiter: slotLimiter(fixture.slots.path, fixture.slots.size, basename(expect.getState().testPath ?? '')),
    };
  })();
  return cached.then((ctx) => ({ ...ctx, graceSeconds }));
}

export function imageOf(variant: string): string {
  const tag = inject('harness').images[variant];
  if (!tag) throw new Error(`no sample image for variant ${variant}`);
  return tag;
}

let criCached: Promise<CriRuntime> | undefined;

/**
 * A check context whose runtime is `runtime`: the engine's, or the harness's containerd
 * through the CRI (opened once per test worker; closeCri removes its sandboxes).
 */
export async function runtimeContext(runtime: 'docker' | 'cri', graceSeconds = 2): Promise<EngineContext> {
  const ctx = await harnessContext(graceSeconds);
  if (runtime === 'docker') return ctx;
  criCached ??= (async () => {
    const cri = await CriRuntime.open(ctx.runtime as DockerRuntime, silentLogger, {
      ...criPaths(),
      socket: inject('harness').criSocket,
    });
    return cri;
  })();
  return { ...ctx, runtime: await criCached };
}

/** Remove what this worker's CRI client created (a file's afterAll). */
export async function closeCri(): Promise<void> {
  const cri = criCached;
  criCached = undefined;
  await (await cri)?.teardown();
}

/**
 * The runtimes the pod suite runs on, each with the same assertions: the engine, and
 * the harness's containerd when the global setup has it (it takes root to start).
 */
export const POD_RUNTIMES: ('docker' | 'cri')[] = inject('harness').criSocket ? ['docker', 'cri'] : ['docker'];
