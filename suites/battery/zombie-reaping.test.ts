import { expect } from 'vitest';
import { batterySuite } from '../support/battery.js';

// Zombies counted from the sidecar's ps; each left zombie is an orphan adopted by PID 1.
batterySuite('zombie-reaping', (o) => {
  const zombies = (o.evidence.ps?.[0]?.processes ?? []).filter((p) => p.stat.startsWith('Z'));
  expect(zombies.length).toBe(o.observed.zombies);
  for (const z of zombies) expect(z.ppid).toBe(1);
});
