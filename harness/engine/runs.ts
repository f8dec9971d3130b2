import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../paths.js';

/**
 * The harness's record of the runs it opened on this machine: one file per run
 * id (holding its owner's pid) in a folder only this user can write. A sweep (of dead runs, or `harness clean`)
 * removes only containers of runs recorded here, so a label someone else wrote (an
 * image that carries the harness's labels, a container started by hand) never makes the
 * harness remove what it did not create.
 */

const runsDir = (): string => join(stateDir(), 'runs');
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$/;

/**
 * The runs folder, made private; undefined when it cannot be had (no writable home),
 * or it is not this user's alone (another user could plant run ids in it).
 */
function ownRunsDir(): string | undefined {
  const dir = runsDir();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return undefined;
    if (st.mode & 0o022) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Record a run as the harness's own; false when no record can be kept (its objects are then removed only by its own teardown and reaper). */
export function recordRun(runId: string, ownerPid: number): boolean {
  const dir = ownRunsDir();
  if (!dir || !RUN_ID.test(runId)) return false;
  try {
    writeFileSync(join(dir, runId), `${ownerPid}\n`, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

/** Forget a run whose objects are all gone. */
export function forgetRun(runId: string): void {
  if (!RUN_ID.test(runId)) return;
  rmSync(join(runsDir(), runId), { force: true });
}

/** The runs the harness recorded on this machine: run id -> owner pid (0 when unreadable). */
export function recordedRuns(): Map<string, number> {
  const dir = ownRunsDir();
  const runs = new Map<string, number>();
  if (!dir) return runs;
  try {
    for (const f of readdirSync(dir)) {
      if (!RUN_ID.test(f)) continue;
      let pid = 0;
      try {
        pid = Number.parseInt(readFileSync(join(dir, f), 'utf8'), 10) || 0;
      } catch {
        // A record being written or removed: its run counts, its owner is unknown.
      }
      runs.set(f, pid);
    }
  } catch {
    // No readable record: nothing is the harness's to sweep.
  }
  return runs;
}
