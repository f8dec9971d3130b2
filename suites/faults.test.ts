/**
 * Images that misbehave on purpose: the harness still reaches a verdict, with bounded
 * evidence, and removes what it started.
 */
import { describe, expect, inject, it } from 'vitest';
import { checkByName } from '../harness/checks/battery.js';
import { certifySubject } from '../harness/certify/gate.js';
import { defaultPolicy } from '../harness/certify/policy.js';
import { LOG_TAIL_LINES } from '../harness/engine/containers.js';
import { runContainers } from '../harness/engine/session.js';
import { harnessContext } from './support/harness.js';

const G = 2;

describe('an image that floods stdout', () => {
  it('is judged (SIGKILL after the grace period) with only the last lines of its log as evidence', async () => {
    const ctx = await harnessContext(G);
    const image = inject('harness').fixtures['floods-stdout'] as string;
    // A program that keeps spawning (seq, sleep) never shows settled signal masks: it
    // says it is ready by printing, as a user would configure it.
    const policy = defaultPolicy();
    const subject = certifySubject(image, {
      ...policy,
      graceSeconds: G,
      maxStopSeconds: G,
      startup: { ...policy.startup, readyLog: '^flood: line' },
    });
    const o = await checkByName('graceful-stop')?.run(ctx, subject, null);
    expect(o?.verdict, o?.reason).toBe('fail');
    expect(o?.observed).toMatchObject({ killed: true, exitCode: 137 });
    const logs = o?.evidence.logs ?? [];
    // It printed far more than that in the seconds it ran; the evidence is its tail.
    expect(logs.length).toBe(LOG_TAIL_LINES);
    expect(logs.filter((l) => /^flood: line \d+ of a tight loop$/.test(l.text)).length).toBeGreaterThan(
      LOG_TAIL_LINES - 5,
    );
    expect(await runContainers(ctx.session, { 'io.harness.subject': image })).toEqual([]);
  });
});
