import { RunningContainer } from '../run/container.js';
import type { CheckContext, Subject } from './subject.js';

/** Start a fresh container of the subject for one scenario of one check. */
export function startSubject(
  ctx: CheckContext,
  subject: Subject,
  check: string,
  overrides: { env?: Record<string, string>; image?: string; scenario?: string } = {},
): Promise<RunningContainer> {
  return RunningContainer.start(ctx.session, {
    image: overrides.image ?? subject.image,
    purpose: 'subject',
    labels: {
      'io.harness.check': check,
      'io.harness.subject': subject.name,
      ...(subject.variant ? { 'io.harness.variant': subject.variant } : {}),
      ...(overrides.scenario ? { 'io.harness.scenario': overrides.scenario } : {}),
    },
    env: { ...subject.env, ...overrides.env },
    init: subject.init,
    readyLog: subject.readyLog,
  });
}
