import { expect } from 'vitest';
import { batterySuite } from '../support/battery.js';

// Against the docker CLI: a container that exited did so by itself (no kill before its
// die) with the code the check reports; one that "survived" is still running and the
// program said so in its own log.
batterySuite('exit-code', (o, w) => {
  if (o.observed.survived) {
    expect(w.running).toBe(true);
    expect(w.logs.some((l) => /^survived SIG/.test(l))).toBe(true);
    return;
  }
  expect(w.status).toBe('exited');
  expect(o.observed.exitCode).toBe(w.exitCode);
  expect(w.events.filter((e) => e.action === 'kill')).toEqual([]);
  expect(w.events.find((e) => e.action === 'die')?.exitCode).toBe(String(w.exitCode));
});
