/**
 * The toolbox's net-probe, the prober the pod emulator's node runs, against a server on
 * the loopback interface: the request the kubelet builds (pkg/probe/http/request.go
 * newProbeRequest) and how its client follows redirects (pkg/probe/http/http.go
 * RedirectChecker, Go's net/http), each checked from what the server received.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../harness/paths.js';

let server: Server;
let port = 0;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const routes: Record<string, [number, string?]> = {
      '/ok': [200],
      '/same': [302, '/ok'],
      '/see-other': [303, '/ok'],
      '/multiple': [300, '/ok'],
      '/other': [302, 'http://other.invalid/ok'],
      '/loop': [307, '/loop'],
    };
    const [code, location] = routes[req.url ?? ''] ?? [404];
    res.writeHead(code, location ? { Location: location } : {});
    res.end(req.url === '/ok' ? 'fine' : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function probe(path: string, headers: [string, string][] = [], scheme = 'HTTP') {
  seen.length = 0;
  const r = await execa('python3', [
    join(projectRoot(), 'images/toolbox/net-probe'),
    'http',
    '127.0.0.1',
    String(port),
    path,
    scheme,
    '2',
    'kube-probe/1.33',
    JSON.stringify(headers),
  ]);
  return JSON.parse(r.stdout) as { result: string; status: number | null; output: string };
}

describe('net-probe http, as the kubelet probes', () => {
  it('sends one Host header, the first given, as the request host, and one User-Agent; an empty Accept is removed', async () => {
    expect(
      (
        await probe('/ok', [
          ['host', 'a.test'],
          ['Host', 'b.test'],
          ['Accept', ''],
          ['X-Twice', '1'],
          ['x-twice', '2'],
        ])
      ).result,
    ).toBe('success');
    const req = seen[0] as IncomingMessage;
    const names = req.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names.filter((n) => n === 'host')).toEqual(['host']);
    expect(req.headers.host).toBe('a.test');
    expect(req.headers['user-agent']).toBe('kube-probe/1.33');
    expect(req.headers.accept).toBeUndefined();
    expect(names.filter((n) => n === 'x-twice')).toHaveLength(2);
  });

  it('without headers: Host is the address and port, Accept */*', async () => {
    await probe('/ok');
    expect(seen[0]?.headers.host).toBe(`127.0.0.1:${port}`);
    expect(seen[0]?.headers.accept).toBe('*/*');
  });

  it('follows 301, 302, 303, 307 and 308 to the same host; any other 3xx is a warning, not followed', async () => {
    expect(await probe('/same')).toMatchObject({ result: 'success', status: 200 });
    expect(await probe('/see-other')).toMatchObject({ result: 'success', status: 200 });
    expect(await probe('/multiple')).toMatchObject({ result: 'warning', status: 300 });
    expect(seen).toHaveLength(1);
  });

  it('does not follow a redirect to another host (a warning); stops after 10 requests naming the raw Location', async () => {
    expect(await probe('/other')).toMatchObject({ result: 'warning', status: 302 });
    expect(await probe('/loop')).toEqual({
      result: 'failure',
      status: null,
      output: 'Get "/loop": stopped after 10 redirects',
    });
    expect(seen).toHaveLength(10);
  });

  it('an HTTPS request answered in plain HTTP fails as Go says it', async () => {
    expect((await probe('/ok', [], 'HTTPS')).output).toBe(
      `Get "https://127.0.0.1:${port}/ok": http: server gave HTTP response to HTTPS client`,
    );
  });
});
