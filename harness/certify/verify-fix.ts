import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Verdict } from '../checks/observation.js';
import type { CheckContext } from '../checks/subject.js';
import { silentLogger, type Logger } from '../log.js';
import { within, writeInside } from '../safe-paths.js';
import { crossCheck, predict, proposeFix, readDockerfile, type CrossCheck, type ProposedFix } from './dockerfile.js';
import { certifyImage, type Certification } from './gate.js';
import type { Policy } from './policy.js';

/** The Dockerfile beside what the engine showed, and the smallest fix when something failed. */
export interface DockerfileReview {
  path: string;
  pid1: string;
  checks: CrossCheck[];
  fix?: ProposedFix;
  /** Why no fix is proposed for what failed (none known from what the image holds). */
  noFix?: string;
}

/** The worst verdict of each check over its scenarios. */
function verdictsByCheck(c: Certification): Map<string, Verdict> {
  const rank: Record<Verdict, number> = { pass: 0, skip: 1, fail: 2, error: 3 };
  const out = new Map<string, Verdict>();
  for (const o of c.observations) {
    const seen = out.get(o.check);
    if (!seen || rank[o.verdict] > rank[seen]) out.set(o.check, o.verdict);
  }
  return out;
}

/**
 * The Dockerfile beside the observations, and the fix for what failed; `init`: the
 * path of an init the image holds (see INIT_PATHS), or null.
 */
export function reviewDockerfile(
  path: string,
  contextDir: string,
  c: Certification,
  init: string | null,
): DockerfileReview {
  const facts = readDockerfile(path, contextDir);
  const checks = crossCheck(predict(facts), verdictsByCheck(c));
  const failed = new Set(c.failures.map((f) => f.check));
  const fix = failed.size ? proposeFix(facts, failed, contextDir, init) : null;
  return {
    path,
    pid1: `${facts.pid1.kind}${facts.pid1.name ? ` ${facts.pid1.name}` : ''}`,
    checks,
    ...(fix && 'none' in fix ? { noFix: fix.none } : fix ? { fix } : {}),
  };
}

/**
 * Build the image again with exactly the proposed fix applied (a copy of the build
 * context, the patched files written into it) and certify it under the same policy,
 * run as the original was: nothing the diff does not contain.
 */
export async function verifyFix(
  ctx: CheckContext,
  { dockerfile, contextDir, buildArgs }: { dockerfile: string; contextDir: string; buildArgs?: Record<string, string> },
  fix: ProposedFix,
  policy: Policy,
  concurrency: number,
  log: Logger = silentLogger,
): Promise<{ image: string; certification: Certification }> {
  const copy = mkdtempSync(join(tmpdir(), 'harness-fix-'));
  try {
    cpSync(contextDir, copy, { recursive: true, filter: (src) => !/(^|\/)(\.git|node_modules)$/.test(src) });
    // Written only inside the copy: a Dockerfile kept outside its context goes in under
    // a name of its own, and no write follows a symlink the context holds.
    const given = relative(contextDir, dockerfile).split('\\').join('/');
    const rel = within(contextDir, dockerfile) ? given : '.harness-verify-fix.Dockerfile';
    writeInside(copy, rel, fix.dockerfile);
    for (const [file, body] of Object.entries(fix.files)) writeInside(copy, file, body);
    const image = await ctx.runtime.build(
      {
        name: 'verify-fix',
        contextDir: copy,
        dockerfile: rel,
        include: ['.'],
        purpose: 'verify-fix',
        ...(buildArgs && Object.keys(buildArgs).length ? { buildArgs } : {}),
      },
      log,
    );
    return { image, certification: await certifyImage(ctx, image, policy, concurrency) };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
