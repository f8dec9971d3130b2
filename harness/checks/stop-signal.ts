import { stopSignalSpec, variantByName } from '../images/catalogue.js';
import { signalOfExitCode } from '../signals.js';
import { scenario } from './common.js';
import { defineCheck } from './definition.js';
import { measureStop } from './graceful-stop.js';
import type { Observation } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

export interface StopSignalObserved {
  /** The image's declared STOPSIGNAL, as the engine reports it. */
  declared: string | null;
  /** The signal the program logged, or died of (exit 128+S); null when none reached it. */
  received: string | null;
  exitCode: number | null;
  killed: boolean | null;
}

/**
 * stop-signal: the variant's image re-declared with STOPSIGNAL SIGINT, stopped through
 * the engine: which signal did the program receive?
 */
function stopSignal(ctx: CheckContext, subject: Subject): Promise<Observation<StopSignalObserved>> {
  const variant = subject.variant ? variantByName(subject.variant) : undefined;
  const empty: StopSignalObserved = { declared: null, received: null, exitCode: null, killed: null };
  // Certified images carry their own STOPSIGNAL; catalogue variants get a SIGINT copy,
  // built inside the scenario: a failed build is this scenario's error, not the run's.
  const image = variant ? () => ctx.runtime.build(stopSignalSpec(variant, subject.image)) : subject.image;
  return scenario<StopSignalObserved>(
    ctx,
    subject,
    {
      check: 'stop-signal',
      scenario: variant ? 'SIGINT' : null,
      did: `started ${subject.name}${variant ? ' re-declared with STOPSIGNAL SIGINT' : ''}, stopped it with a ${ctx.graceSeconds} s grace period`,
      image,
      empty,
    },
    async (container, t0) => {
      // mutant: takes the engine's default for the image's STOPSIGNAL
      // => const declared = 'SIGTERM';
      const declared = (await container.config()).stopSignal;
      const { observed: stop, evidence } = await measureStop(ctx, container, t0);
      const logged = (evidence.logs ?? []).map((l) => /^signal (SIG\w+)$/.exec(l.text)?.[1]).find(Boolean);
      const diedOf = stop.killed ? undefined : signalOfExitCode(stop.exitCode);
      const received = logged ?? diedOf ?? null;
      const ok = received === declared && !stop.killed;
      return {
        verdict: ok ? 'pass' : 'fail',
        reason: received
          ? `the program received ${received}${received === declared ? ', the declared STOPSIGNAL' : ` instead of the declared ${declared}`}`
          : `the declared ${declared} never reached the program${stop.killed ? ': SIGKILL after the grace period' : ''}`,
        observed: { declared, received, exitCode: stop.exitCode, killed: stop.killed },
        evidence,
      };
    },
  );
}

export const stopSignalCheck = defineCheck<StopSignalObserved>({
  name: 'stop-signal',
  description: 'with STOPSIGNAL SIGINT declared, which signal the program receives on stop',
  does: 'the image re-declared with `STOPSIGNAL SIGINT`, then stop',
  observes: 'which signal the program received',
  remedy: 'The declared STOPSIGNAL did not reach the program: a shell or a script in front of it kept it.',
  scenarios: ['SIGINT'],
  slow: true,
  run: (ctx, subject) => stopSignal(ctx, subject),
  expected({ facts, program }) {
    const gets = facts.role === 'init' || facts.role === 'program' || (facts.role === 'trap' && program === 'aware');
    return { declared: 'SIGINT', received: gets ? 'SIGINT' : null, killed: !gets };
  },
  figure: (o) => `${o.received ?? 'none'}${o.killed ? ' KILL' : ''}`,
});
