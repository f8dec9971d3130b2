import { monotonicMs } from '../observe/clock.js';

/**
 * A progress display on stderr: one rewritten line on a terminal, a line every 5% (and
 * at the end) elsewhere, so CI logs stay short.
 */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const started = monotonicMs();
  let lastPct = -1;
  return (done: number, total: number, detail: string) => {
    const pct = Math.floor((done / total) * 100);
    const elapsed = ((monotonicMs() - started) / 1000).toFixed(0);
    const text = `${label} [${String(done).padStart(String(total).length)}/${total}] ${String(pct).padStart(3)}% ${elapsed}s  ${detail}`;
    if (stream.isTTY) {
      stream.write(`\r\x1b[K${text.slice(0, (stream.columns || 100) - 1)}${done === total ? '\n' : ''}`);
    } else if (done === total || Math.floor(pct / 5) > Math.floor(lastPct / 5)) {
      stream.write(`${text}\n`);
    }
    lastPct = pct;
  };
}
