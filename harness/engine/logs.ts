/** One line a container printed, with the stream it came on and the engine's timestamp. */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** Engine timestamp (RFC 3339, nanoseconds), when requested. */
  time?: string;
  text: string;
}

/**
 * Split the engine's multiplexed log stream (8-byte frame headers: stream type, 3 zero
 * bytes, big-endian length) into lines. With `timestamps`, each line starts with the
 * engine's timestamp and a space.
 */
export function demuxLogs(buffer: Buffer, timestamps: boolean): LogLine[] {
  const chunks: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  const out: LogLine[] = [];
  const flush = (stream: 'stdout' | 'stderr', final: boolean) => {
    const parts = chunks[stream].split('\n');
    chunks[stream] = final ? '' : (parts.pop() ?? '');
    for (const raw of parts) {
      if (final && raw === '') continue;
      const m = timestamps ? /^(\S+) (.*)$/s.exec(raw) : null;
      out.push(m ? { stream, time: m[1], text: m[2] ?? '' } : { stream, text: raw });
    }
  };
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const length = buffer.readUInt32BE(offset + 4);
    const stream = type === 2 ? 'stderr' : 'stdout';
    chunks[stream] += buffer.subarray(offset + 8, offset + 8 + length).toString('utf8');
    offset += 8 + length;
    flush(stream, false);
  }
  flush('stdout', true);
  flush('stderr', true);
  return out;
}
