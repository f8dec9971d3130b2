/**
 * serves-during-drain on real services, run as the gate runs it: a Python server that
 * goes on answering on its ready port from its SIGTERM until it exits passes; one that
 * closes its listener at once and runs on fails, the refusal while it ran and its
 * process list as the evidence; an image with no ready port is skipped, not judged.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { closeHarness, runCheck } from '../../harness/index.js';

const base = inject('harness').baseImage;
const G = 10;
/** What each server does after its SIGTERM, before it exits 0. */
const server = (onTerm: string) => `
import signal, socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(64)
term = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: term.set())
def serve():
    while True:
        try:
            c, _ = s.accept()
        except OSError:
            return
        try:
            c.settimeout(1)
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
        except OSError:
            pass
        c.close()
threading.Thread(target=serve, daemon=True).start()
term.wait()
${onTerm}
sys.exit(0)
`;
const check = (program: string | null) =>
  runCheck(base, 'serves-during-drain', {
    grace: G,
    ...(program ? { cmd: ['python3', '-c', program], readyPort: 8080 } : { cmd: ['sleep', 'infinity'] }),
  });

afterAll(async () => {
  await closeHarness();
});

describe('serves-during-drain', () => {
  it('passes a server that answers until it exits (a 3 s drain after SIGTERM)', async () => {
    const o = await check(server('time.sleep(3)'));
    expect(o.verdict, o.reason).toBe('pass');
    expect(o.observed).toMatchObject({ port: 8080, answeredBy: 'http', refusedAtMs: null });
    const { requests, lastAnswerMs, exitedAfterMs } = o.observed as Record<string, number>;
    expect(requests).toBeGreaterThan(0);
    // It answered after the stop signal, and before it exited.
    expect(lastAnswerMs).toBeGreaterThanOrEqual(0);
    expect(lastAnswerMs).toBeLessThanOrEqual(exitedAfterMs as number);
    expect(o.evidence.exitCode).toBe(0);
  });

  it('fails a server that closes its listener at once and runs on for 6 s', async () => {
    const o = await check(server('s.shutdown(socket.SHUT_RDWR)\ns.close()\ntime.sleep(6)'));
    expect(o.verdict, o.reason).toBe('fail');
    const { refusedAtMs, exitedAfterMs } = o.observed as Record<string, number>;
    expect(refusedAtMs).toBeGreaterThanOrEqual(0);
    expect(refusedAtMs).toBeLessThan(exitedAfterMs as number);
    expect(o.reason).toMatch(/stopped answering on port 8080 \d+ ms after the stop signal while the program ran on/);
    expect(o.evidence.notes?.join('\n')).toMatch(/still running: .*python3/);
  });

  it('skips an image with no ready port, and says what to give it', async () => {
    const o = await check(null);
    expect(o.verdict).toBe('skip');
    expect(o.reason).toMatch(/--ready-port/);
  });
});
