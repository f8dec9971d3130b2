/**
 * `harness certify --runtime cri`: the gate on the harness's containerd, stopping each
 * scenario's container as the kubelet does (StopContainer with the grace period). The
 * sample catalogue's tini and shell-form images get the exit codes they get on the
 * engine (certify-cli.test.ts: 0 and 1, grace 2 s), for the same reasons; the report
 * names the runtime.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../harness/paths.js';
import { imageOf } from './support/harness.js';

const cri = !!inject('harness').criSocket;

describe.skipIf(!cri).concurrent('harness certify --runtime cri', () => {
  const certify = (variant: string, image = imageOf(variant), ...options: string[]) => {
    const out = join(projectRoot(), 'reports/certify-test/cri', variant);
    return execa(
      'node',
      [
        join(projectRoot(), 'bin/harness.mjs'),
        'certify',
        image,
        ...options,
        '--runtime',
        'cri',
        '--grace',
        '2',
        '--out',
        out,
      ],
      { reject: false, all: true, env: { HARNESS_QUIET_BUILD: '1' } },
    ).then((r) => ({
      ...r,
      report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { engine: { runtime?: string } },
    }));
  };

  it('exits 0 for the tini image, as on the engine', async () => {
    const r = await certify('tini');
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('PASSES the policy');
    expect(r.report.engine.runtime).toMatch(/^containerd \S+ \(CRI\) at \S+containerd\.sock$/);
  });

  it('exits 1 for shell-form: SIGTERM not acted on, SIGKILL needed after the grace period', async () => {
    const r = await certify('shell-form');
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(
      /FAIL {2}graceful-stop: the stop signal was not acted on: SIGKILL was needed after the 2 s grace period/,
    );
    expect(r.stdout).toMatch(/FAIL {2}exit-code \(on-stop-signal\): still running \d+ s after SIGTERM/);
  });

  it("watches a service's port from inside its pod while it drains: serves-during-drain passes", async () => {
    const r = await certify(
      'needs-port',
      inject('harness').fixtures['needs-port'],
      '--env',
      'PORT=8080',
      '--ready-port',
      '8080',
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/pass {2}serves-during-drain: kept accepting connections on port 8080 until it exited/);
  });
});
