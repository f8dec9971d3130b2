import { sanitizeText } from '../text.js';
import type { Observation } from '../checks/observation.js';

/** The evidence of a failed check in one line: zombies, signals sent, exit code, stop time, last log line. */
export function evidenceLine(o: Observation<object>): string {
  const ev = o.evidence;
  const zombies = (ev.ps ?? []).flatMap((s) => s.processes.filter((p) => p.stat.startsWith('Z')));
  const parts: string[] = [];
  if (zombies.length)
    parts.push(`ps: ${zombies.map((z) => `pid ${z.pid} (${z.comm}) stat ${z.stat} parent ${z.ppid}`).join(', ')}`);
  if (ev.events?.length)
    parts.push(`engine sent ${ev.events.map((e) => `signal ${e.attributes.signal}`).join(' then ')}`);
  if (ev.state?.exitCode !== undefined) parts.push(`engine exit code ${ev.state.exitCode}`);
  if (ev.timings?.stopDurationMs !== undefined) parts.push(`stop took ${ev.timings.stopDurationMs} ms`);
  // A note can carry what the image chose (its processes' argv): no control sequence
  // of it reaches a terminal.
  const note = ev.notes?.[0] === undefined ? undefined : sanitizeText(ev.notes[0]);
  if (note) parts.push(note.length > 240 ? `${note.slice(0, 240)}...` : note);
  const last = ev.logs?.at(-1);
  if (last) parts.push(`last log line: ${JSON.stringify(last.text.slice(0, 120))}`);
  return parts.join('; ');
}
