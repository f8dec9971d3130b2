import { expect } from 'vitest';
import { batterySuite } from '../support/battery.js';

// The exit code is the engine's (inspect State.ExitCode), kept as evidence.
batterySuite('exit-code', (o) => {
  if (!o.observed.survived) expect(o.evidence.state?.exitCode).toBe(o.observed.exitCode);
});
