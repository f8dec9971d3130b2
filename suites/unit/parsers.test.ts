import { describe, expect, it } from 'vitest';
import { failingStepOutput } from '../../harness/images/build.js';
import { engineTimeMs, engineTimeSet } from '../../harness/observe/clock.js';
import { demuxLogs } from '../../harness/engine/logs.js';
import { isZombie, parsePsSnapshot } from '../../harness/observe/ps.js';

function frame(type: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('ps snapshot parser', () => {
  const output = [
    'self 12',
    '    1     0 Ss   python3',
    '    7     1 Z    python3',
    '   12     0 Ss   ps-snapshot',
    '   13    12 R    ps',
    '--',
    '    1 python3 /app/app.py',
    '    7 [python3] <defunct>',
    '   12 /bin/sh /usr/local/bin/ps-snapshot',
    '   14 ps -e -o pid=,args=',
  ].join('\n');

  it('keeps the namespace processes and leaves out the sidecar and its children', () => {
    const rows = parsePsSnapshot(output);
    expect(rows.map((r) => r.pid)).toEqual([1, 7]);
    expect(rows[0]).toEqual({ pid: 1, ppid: 0, stat: 'Ss', comm: 'python3', args: 'python3 /app/app.py' });
    expect(rows.filter(isZombie).map((r) => r.pid)).toEqual([7]);
  });

  it("keeps PID 1 (parent 0) in the node observer's snapshot, read from outside the namespace", () => {
    const fromNode = [
      'self 0',
      '    1     0 Ss   sh',
      '    8     1 S    python3',
      '--',
      '    1 /bin/sh',
      '    8 python3',
    ];
    expect(parsePsSnapshot(fromNode.join('\n')).map((r) => [r.pid, r.ppid])).toEqual([
      [1, 0],
      [8, 1],
    ]);
  });

  it('rejects output that is not a snapshot', () => {
    expect(() => parsePsSnapshot('bash: ps: not found')).toThrow(/unexpected/);
  });
});

describe('log demultiplexer', () => {
  it('splits frames into lines per stream, keeping engine timestamps', () => {
    const buf = Buffer.concat([
      frame(1, '2026-11-26T15:00:00.000000001Z ready pid=1\n2026-11-26T15:00:00.5Z sig'),
      frame(1, 'nal SIGTERM\n'),
      frame(2, '2026-11-26T15:00:01Z oops\n'),
    ]);
    expect(demuxLogs(buf, true)).toEqual([
      { stream: 'stdout', time: '2026-11-26T15:00:00.000000001Z', text: 'ready pid=1' },
      { stream: 'stdout', time: '2026-11-26T15:00:00.5Z', text: 'signal SIGTERM' },
      { stream: 'stderr', time: '2026-11-26T15:00:01Z', text: 'oops' },
    ]);
  });

  it('keeps a last line without a newline', () => {
    expect(demuxLogs(frame(1, 'a\nb'), false)).toEqual([
      { stream: 'stdout', text: 'a' },
      { stream: 'stdout', text: 'b' },
    ]);
  });
});

describe('engine timestamps', () => {
  it('keeps sub-millisecond digits', () => {
    expect(engineTimeMs('2026-11-26T15:15:50.545215655Z') - Date.parse('2026-11-26T15:15:50Z')).toBeCloseTo(
      545.2157,
      3,
    );
    expect(Number.isNaN(engineTimeMs('yesterday'))).toBe(true);
  });
  it('knows the zero time means "not yet"', () => {
    expect(engineTimeSet('0001-01-01T00:00:00Z')).toBe(false);
    expect(engineTimeSet('2026-11-26T15:15:50Z')).toBe(true);
  });
});

describe('build output', () => {
  it("keeps from the failing step's header to the end", () => {
    const lines = ['Step 1/3 : FROM x', ' ---> abc', 'Step 2/3 : RUN false', ' ---> Running in 123', 'boom'];
    expect(failingStepOutput(lines)).toBe('Step 2/3 : RUN false\n ---> Running in 123\nboom');
  });
});
