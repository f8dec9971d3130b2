/**
 * `harness setup --runtime cri` on the engine's machine: the harness's own containerd
 * with its CRI plugin, under a state folder of this test's own (XDG_STATE_HOME), its
 * config as measured on this kind of machine (restrict_oom_score_adj, its own CNI
 * bridge and subnet), the pause image imported from the engine that built it; a second
 * setup changes nothing; doctor reports it; stopping it leaves nothing running.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CriClient, type ContainerConfig, type PodSandboxConfig } from '../harness/cri/client.js';
import { criPaths, criStatus, stopCri } from '../harness/cri/containerd.js';
import { criImageName, ensureCriImage } from '../harness/cri/images.js';
import { silentLogger } from '../harness/log.js';
import { projectRoot } from '../harness/paths.js';

const state = mkdtempSync(join(tmpdir(), 'harness-cri-state-'));
const paths = criPaths(join(state, 'container-lifecycle-harness', 'cri'));
const harness = (...args: string[]) =>
  execa('node', [join(projectRoot(), 'bin/harness.mjs'), ...args], {
    reject: false,
    env: { XDG_STATE_HOME: state, HARNESS_QUIET_BUILD: '1' },
  });

afterAll(async () => {
  await stopCri(silentLogger, paths);
  rmSync(state, { recursive: true, force: true });
});

it('brings up its own containerd with the CRI, idempotently, and doctor reports it', { timeout: 180_000 }, async () => {
  const first = await harness('setup', '--runtime', 'cri');
  expect(first.exitCode, first.stderr).toBe(0);
  expect(first.stdout).toMatch(
    /; cri: containerd \S+ at .*containerd\.sock \(sandbox image docker\.io\/harness\/pause:\w+\)$/,
  );
  const up = await criStatus(paths);
  expect(up).toMatchObject({ state: 'ready', pid: expect.any(Number) });
  const config = readFileSync(paths.config, 'utf8');
  expect(config).toContain('restrict_oom_score_adj = true');
  expect(config).toContain(`conf_dir = ${JSON.stringify(paths.netd)}`);
  const plugins = await execa('ctr', ['--address', paths.socket, 'plugins', 'ls']);
  expect(plugins.stdout).toMatch(/io\.containerd\.grpc\.v1\s+cri\s+.*\bok\b/);
  const images = await execa('ctr', ['--address', paths.socket, '-n', 'k8s.io', 'images', 'ls', '-q']);
  expect(images.stdout).toMatch(/^docker\.io\/harness\/pause:\w+$/m);
  // Again: the same containerd, nothing restarted.
  const second = await harness('setup', '--runtime', 'cri');
  expect(second.exitCode, second.stderr).toBe(0);
  expect((await criStatus(paths)).pid).toBe(up.pid);
  const doctor = await harness('doctor');
  expect(doctor.stdout).toMatch(/^cri {6}containerd \S+ at .*containerd\.sock$/m);
});

describe('the CRI client, on that containerd, as the kubelet drives it', () => {
  const run = `cri-${process.pid}`;
  const logs = mkdtempSync(join(tmpdir(), 'harness-cri-logs-'));
  let client: CriClient;
  let sandboxId = '';
  let image = '';
  const sandbox: PodSandboxConfig = {
    metadata: { name: 'cri-pod', uid: randomUUID(), namespace: 'default' },
    hostname: 'cri-pod',
    logDirectory: logs,
    labels: { 'io.harness.run': run },
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  const container = (name: string, command: string[]): ContainerConfig => ({
    metadata: { name },
    image: { image },
    command,
    logPath: `${name}/0.log`,
    labels: { 'io.harness.run': run },
    // The kubelet sets the container's own PID namespace (the CRI's default is the pod's).
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  });
  const startContainer = async (name: string, command: string[]) => {
    const id = await client.createContainer(sandboxId, container(name, command), sandbox);
    await client.startContainer(id);
    return id;
  };

  afterAll(async () => {
    if (sandboxId) {
      await client.stopPodSandbox(sandboxId).catch(() => undefined);
      await client.removePodSandbox(sandboxId).catch(() => undefined);
    }
    client?.close();
    rmSync(logs, { recursive: true, force: true });
  });

  it('imports an engine image once, by its id', { timeout: 120_000 }, async () => {
    client = new CriClient(paths.socket);
    expect((await client.version()).runtimeName).toBe('containerd');
    const base = inject('harness').baseImage;
    const id = (await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', base])).stdout.trim();
    const said: string[] = [];
    const engineImage = {
      ref: base,
      id,
      save: async () => execa('docker', ['save', base], { buffer: false }).stdout as NodeJS.ReadableStream,
    };
    image = await ensureCriImage(client, paths, engineImage, (line) => said.push(line));
    expect(image).toBe(criImageName(base));
    expect((await client.imageStatus(image))?.id).toBe(id);
    expect(said).toEqual([`importing ${image} into the harness's containerd`]);
    // Present with the same id: nothing imported again.
    await ensureCriImage(client, paths, engineImage, (line) => said.push(line));
    expect(said).toHaveLength(1);
  });

  it('runs a sandbox with a pod IP on its own bridge and the pod name as hostname', { timeout: 120_000 }, async () => {
    sandboxId = await client.runPodSandbox(sandbox);
    const status = await client.podSandboxStatus(sandboxId);
    expect(status.state).toBe('SANDBOX_READY');
    expect(status.network?.ip).toMatch(/^10\.213\.0\.\d+$/);
    const app = await startContainer('app', [
      'sh',
      '-c',
      'trap "exit 0" TERM; echo ready; while :; do sleep 1 & wait $!; done',
    ]);
    const hostname = await client.execSync(app, ['hostname'], 10);
    expect(hostname.stdout.toString()).toBe('cri-pod\n');
    // Its own PID namespace: its command is PID 1.
    const pid1 = await client.execSync(app, ['cat', '/proc/1/cmdline'], 10);
    expect(pid1.stdout.toString().split('\0')[0]).toBe('sh');
    expect((await client.execSync(app, ['sh', '-c', 'exit 3'], 10)).exitCode).toBe(3);
    // A binary the image lacks: an RPC error, not an exit code (the kubelet throws such a probe result away).
    await expect(client.execSync(app, ['/no/such/probe'], 10)).rejects.toThrow(
      /^rpc error: code = Unknown desc = failed to exec in container: /,
    );
    // The log in the kubelet's layout, in the CRI's format (time, stream, tag, line).
    const log = join(logs, 'app', '0.log');
    await expect
      .poll(() => (existsSync(log) ? readFileSync(log, 'utf8') : ''), { timeout: 30_000 })
      .toMatch(/^\S+ stdout F ready$/m);
    await client.stopContainer(app, 5);
    expect(await client.containerStatus(app)).toMatchObject({
      state: 'CONTAINER_EXITED',
      exitCode: 0,
      reason: 'Completed',
    });
  });

  it(
    'stops a container that ignores the stop signal with SIGKILL after the timeout',
    { timeout: 120_000 },
    async () => {
      const stubborn = await startContainer('stubborn', ['sleep', '600']);
      await client.stopContainer(stubborn, 1);
      const status = await client.containerStatus(stubborn);
      expect(status).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error' });
      // SIGKILL came no earlier than the timeout after the stop began (which came after the
      // start: the runtime's own clock, from the start, bounds it from below).
      expect((status.finishedAt - status.startedAt) / 1e6).toBeGreaterThanOrEqual(1000);
    },
  );

  it('leaves nothing once the sandbox is stopped and removed', { timeout: 120_000 }, async () => {
    await client.stopPodSandbox(sandboxId);
    await client.removePodSandbox(sandboxId);
    sandboxId = '';
    expect(await client.listPodSandboxes({ 'io.harness.run': run })).toEqual([]);
  });
});

it('stops the containerd it started', { timeout: 60_000 }, async () => {
  expect(await stopCri(silentLogger, paths)).toBe(true);
  expect((await criStatus(paths)).state).toBe('stopped');
});
