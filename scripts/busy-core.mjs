#!/usr/bin/env node
// Keeps one core busy, so a test run sees a machine about half as fast (on 2 cores).
// Started in the background and stopped by its pid (`node scripts/busy-core.mjs &`,
// then `kill $!`); it also stops by itself when the process that started it is gone,
// or after --max-seconds (default 7200), so it can never outlive a run.
const maxSeconds = Number(process.argv[process.argv.indexOf('--max-seconds') + 1]) || 7200;
// The process that started it (none to watch when it was already gone, ppid 1).
const parent = process.ppid > 1 ? process.ppid : 0;
const deadline = Date.now() + maxSeconds * 1000;
const parentAlive = () => {
  if (!parent) return true;
  try {
    process.kill(parent, 0);
    return true;
  } catch {
    return false;
  }
};
let spins = 0;
for (;;) {
  spins++;
  if (spins % 5_000_000 === 0 && (Date.now() > deadline || !parentAlive())) break;
}
