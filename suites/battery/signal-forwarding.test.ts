import { expect } from 'vitest';
import { batterySuite } from '../support/battery.js';

// One fresh container per signal. A logged signal must be in the container's own log.
batterySuite('signal-forwarding', (o) => {
  if (o.observed.how === 'logged') {
    expect(o.evidence.logs?.some((l) => l.text === `signal ${o.scenario}`)).toBe(true);
  }
});
