import { describe, expect, it } from 'vitest';
import { clientEnvironment, engineCandidates, parseEngineAddress } from '../../harness/engine/address.js';
import { clientOptions } from '../../harness/engine/connect.js';
import { sshForwardArgs } from '../../harness/engine/ssh.js';
import { dependentsNamed, stateImproper } from '../../harness/engine/containers.js';

describe('engine addresses, as Docker and Podman clients read DOCKER_HOST and CONTAINER_HOST', () => {
  it('reads unix sockets, with or without the scheme', () => {
    expect(parseEngineAddress('unix:///run/podman/podman.sock')).toMatchObject({
      scheme: 'unix',
      socketPath: '/run/podman/podman.sock',
    });
    expect(parseEngineAddress('/var/run/docker.sock')).toMatchObject({
      scheme: 'unix',
      url: 'unix:///var/run/docker.sock',
    });
  });

  it('reads tcp with the default ports: 2375 plain, 2376 with TLS from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    expect(parseEngineAddress('tcp://10.0.0.5', {})).toMatchObject({
      scheme: 'tcp',
      host: '10.0.0.5',
      port: 2375,
      tls: undefined,
    });
    expect(parseEngineAddress('localhost:4243', {})).toMatchObject({ host: 'localhost', port: 4243 });
    expect(
      parseEngineAddress('tcp://engine:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }),
    ).toMatchObject({
      port: 2376,
      tls: { certPath: '/certs', verify: true },
    });
    expect(parseEngineAddress('tcp://engine', { DOCKER_TLS: '1', DOCKER_CERT_PATH: '/c' })).toMatchObject({
      port: 2376,
      tls: { certPath: '/c', verify: false },
    });
    expect(parseEngineAddress('tcp://engine', { DOCKER_TLS_VERIFY: '0' })).toMatchObject({ tls: undefined });
    expect(parseEngineAddress('tcp://[::1]:2375', {})).toMatchObject({ host: '::1', port: 2375 });
  });

  it("reads ssh with user, port and a remote socket (Docker's by default)", () => {
    expect(parseEngineAddress('ssh://ci@build-host:2222')).toMatchObject({
      scheme: 'ssh',
      user: 'ci',
      host: 'build-host',
      port: 2222,
      socketPath: '/var/run/docker.sock',
    });
    expect(parseEngineAddress('ssh://root@h/run/podman/podman.sock')).toMatchObject({
      socketPath: '/run/podman/podman.sock',
      port: undefined,
    });
  });

  it('refuses what no client reads, in one line naming the variable', () => {
    expect(() => parseEngineAddress('npipe:////./pipe/docker_engine', {}, 'DOCKER_HOST')).toThrow(
      /^DOCKER_HOST=.*Windows/,
    );
    expect(() => parseEngineAddress('ftp://x', {}, 'CONTAINER_HOST')).toThrow(
      /^CONTAINER_HOST="ftp:\/\/x": unknown scheme "ftp"/,
    );
    expect(() => parseEngineAddress('unix://relative.sock')).toThrow(/absolute path/);
  });

  it('tries DOCKER_HOST alone when set, then CONTAINER_HOST; otherwise Docker, then Podman rootful and rootless', () => {
    expect(engineCandidates({ DOCKER_HOST: 'tcp://a:1', CONTAINER_HOST: 'unix:///b' })).toEqual([
      expect.objectContaining({ source: 'DOCKER_HOST', explicit: true }),
    ]);
    expect(engineCandidates({ CONTAINER_HOST: 'unix:///run/podman/podman.sock' })[0]).toMatchObject({
      source: 'CONTAINER_HOST',
      address: { socketPath: '/run/podman/podman.sock' },
    });
    expect(engineCandidates({}, 0).map((c) => c.address.url)).toEqual([
      'unix:///var/run/docker.sock',
      'unix:///run/podman/podman.sock',
    ]);
    expect(engineCandidates({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000).map((c) => c.source)).toEqual([
      'Docker',
      'rootless Docker',
      'Podman',
      'rootless Podman',
    ]);
    expect(engineCandidates({}, 1000).at(-1)?.address.url).toBe('unix:///run/user/1000/podman/podman.sock');
  });

  it('gives testcontainers and docker CLIs the same engine, and dockerode no stray default from DOCKER_HOST', () => {
    const tcp = parseEngineAddress('tcp://engine:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' });
    expect(clientEnvironment(tcp)).toEqual({
      DOCKER_HOST: 'tcp://engine:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/certs',
    });
    const unix = parseEngineAddress('unix:///run/podman/podman.sock');
    expect(clientEnvironment(unix)).toMatchObject({
      DOCKER_HOST: 'unix:///run/podman/podman.sock',
      DOCKER_CERT_PATH: undefined,
    });
    const opts = clientOptions(unix);
    expect(opts).toHaveProperty('host', undefined);
    expect(opts.socketPath).toBe('/run/podman/podman.sock');
    expect(clientOptions(parseEngineAddress('tcp://e:2375', {}))).toMatchObject({
      host: 'e',
      port: 2375,
      protocol: 'http',
    });
  });

  it('forwards an ssh engine socket to a local one without a prompt or a shell', () => {
    const args = sshForwardArgs(parseEngineAddress('ssh://ci@h:2222/run/podman/podman.sock') as never, '/tmp/l.sock');
    expect(args).toEqual(expect.arrayContaining(['-nNT', 'BatchMode=yes', 'ExitOnForwardFailure=yes', '-p', '2222']));
    expect(args.slice(-3)).toEqual(['-L', '/tmp/l.sock:/run/podman/podman.sock', 'ci@h']);
  });
});

describe("Podman's answers where Docker's differ", () => {
  const engineError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

  it('reads "container state improper" (500) as the not-running Docker says with 409', () => {
    expect(
      stateImproper(
        engineError(
          500,
          '(HTTP code 500) server error - can only kill running containers. x is in state stopped: container state improper',
        ),
      ),
    ).toBe(true);
    expect(stateImproper(engineError(500, 'no space left on device'))).toBe(false);
    expect(stateImproper(engineError(409, 'container state improper'))).toBe(false);
  });

  it('finds the containers named in a refusal to remove one that others joined, without the container itself', () => {
    const self = 'a'.repeat(64);
    const dep = 'b'.repeat(64);
    const err = engineError(
      500,
      `(HTTP code 500) server error - container ${self} has dependent containers which must be removed before it: ${dep}: container already exists`,
    );
    expect(dependentsNamed(err, self)).toEqual([dep]);
    expect(dependentsNamed(err, self.slice(0, 12))).toEqual([dep]);
    expect(dependentsNamed(engineError(500, `no such container ${dep}`), self)).toEqual([]);
  });
});
