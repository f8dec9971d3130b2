/**
 * `harness setup --runtime cri` on the engine's machine: the harness's own containerd
 * with its CRI plugin, under a state folder of this test's own (XDG_STATE_HOME), its
 * config as measured on this kind of machine (restrict_oom_score_adj, its own CNI
 * bridge and subnet), the pause image imported from the engine that built it; a second
 * setup changes nothing; doctor reports it; stopping it leaves nothing running.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { criPaths, criStatus, stopCri } from '../harness/cri/containerd.js';
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
  expect(await stopCri(silentLogger, paths)).toBe(true);
  expect((await criStatus(paths)).state).toBe('stopped');
});
