/**
 * Images that misbehave on purpose (flood stdout, fill their pids limit, outgrow their
 * memory limit): the harness still reaches a verdict or a precise error, with bounded
 * evidence, and removes what it started.
 */
import { describe, expect, inject, it } from 'vitest';
import { checkByName } from '../harness/checks/battery.js';
import { certifySubject } from '../harness/certify/gate.js';
import { defaultPolicy, type Policy } from '../harness/certify/policy.js';
import { LOG_TAIL_LINES } from '../harness/engine/containers.js';
import { runContainers } from '../harness/engine/session.js';
import { harnessContext } from './support/harness.js';

const G = 2;

/** A certify fixture as certify runs it, with a grace of `grace` (G) and the ready line it prints. */
async function fixtureSubject(name: string, readyLog: string, over: Partial<Policy> = {}, grace = G) {
  const ctx = await harnessContext(grace);
  const image = inject('harness').fixtures[name] as string;
  const policy = defaultPolicy();
  const subject = certifySubject(image, {
    ...policy,
    graceSeconds: grace,
    startup: { ...policy.startup, readyLog },
    ...over,
  });
  return { ctx, image, subject };
}

describe('an image that floods stdout', () => {
  it('is judged (SIGKILL after the grace period) with only the last lines of its log as evidence', async () => {
    // A program that keeps spawning (seq, sleep) never shows settled signal masks: it
    // says it is ready by printing, as a user would configure it.
    const { ctx, image, subject } = await fixtureSubject('floods-stdout', '^flood: line', { maxStopSeconds: G });
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

describe('an image at its pids limit', () => {
  it('stops cleanly, and an exec into it is an error that names the limit, not a verdict', async () => {
    // It exits 0 on SIGTERM at once; the grace period only bounds a hang.
    const { ctx, image, subject } = await fixtureSubject('fills-pids', '^ready:', {}, 60);
    const [stop, inject_] = await Promise.all([
      checkByName('graceful-stop')?.run(ctx, subject, null),
      checkByName('zombie-reaping')?.run(ctx, subject, 'injected'),
    ]);
    expect(stop?.verdict, stop?.reason).toBe('pass');
    expect(stop?.observed).toMatchObject({ exitCode: 0, killed: false });
    expect(inject_?.verdict).toBe('error');
    // The exec is refused at the limit; or, when it slips in just before the last
    // process is made, its own fork finds the limit full. Either way an error, never a verdict.
    expect(inject_?.reason).toMatch(
      /nothing can be exec'd into container [0-9a-f]{12}: it is at its pids limit \(256 of 256 processes\)$|the injected zombie maker exited 2$/,
    );
    expect(await runContainers(ctx.session, { 'io.harness.subject': image })).toEqual([]);
  });
});

describe('an image that needs more memory than its limit to shut down', () => {
  it('exits 137 with no SIGKILL from the engine, and the result says the kernel OOM-killed it', async () => {
    // The kernel kills it as soon as it outgrows the limit; the grace period is only a
    // bound for a hang, long enough that a loaded machine never lets the engine's
    // SIGKILL overtake the OOM kill.
    const { ctx, image, subject } = await fixtureSubject('eats-memory', '^ready$', {}, 60);
    const o = await checkByName('graceful-stop')?.run(ctx, subject, null);
    expect(o?.observed).toMatchObject({ exitCode: 137, killed: false });
    expect(o?.evidence.state?.oomKilled).toBe(true);
    expect(o?.evidence.events?.map((e) => e.attributes.signal)).toEqual(['15']);
    expect(o?.reason).toMatch(/; the kernel OOM-killed it at the container's memory limit \(512 MiB\)$/);
    expect(o?.evidence.logs?.at(-1)?.text).toBe('flushing on SIGTERM');
    expect(await runContainers(ctx.session, { 'io.harness.subject': image })).toEqual([]);
  });
});
