/**
 * The engine boundary's pure parts and the small defects it fixed: signal names and
 * numbers, one create-options translation, a STOPSIGNAL given as a number, removals
 * racing a reaper, error chains kept in a scenario's evidence, work run in the
 * background, slow work first.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../harness/checks/battery.js';
import { certifyHelp } from '../../harness/cli/certify.js';
import { defaultPolicy } from '../../harness/certify/policy.js';
import { scenario } from '../../harness/checks/common.js';
import type { CheckContext } from '../../harness/checks/subject.js';
import { createOptions, type ContainerDetails } from '../../harness/engine/containers.js';
import { configOf } from '../../harness/run/container.js';
import type { Engine } from '../../harness/engine/connect.js';
import { removeBuiltImages, removeRunObjects } from '../../harness/engine/session.js';
import { signalName, signalNumber, signalOfExitCode } from '../../harness/signals.js';
import { BuildFailedError, errorNotes, ScenarioError } from '../../harness/errors.js';
import { inBackground, runSlowFirst } from '../../harness/run/pool.js';
import { projectRoot } from '../../harness/paths.js';
import { VERSION } from '../../harness/version.js';
import { execa } from 'execa';

describe('signals from os.constants', () => {
  it.each([
    ['SIGTERM', 15],
    ['TERM', 15],
    ['sigint', 2],
    ['15', 15],
    [' 9 ', 9],
    ['SIGRTMIN', undefined],
    ['NOPE', undefined],
    ['0', undefined],
  ])('%j is %j', (given, n) => {
    expect(signalNumber(given)).toBe(n);
  });
  it('names a number, a short name and an alias canonically', () => {
    expect(signalName('15')).toBe('SIGTERM');
    expect(signalName('HUP')).toBe('SIGHUP');
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName('SIGIOT')).toBe('SIGABRT');
    expect(signalOfExitCode(137)).toBe('SIGKILL');
    expect(signalOfExitCode(143)).toBe('SIGTERM');
    expect(signalOfExitCode(3)).toBeUndefined();
  });
});

describe('one translation of a container spec', () => {
  it('keeps env, user, init, stop signal, command and limits for every container', () => {
    const o = createOptions(
      {
        image: 'img',
        purpose: 'helper',
        env: { A: '1' },
        user: '1000',
        init: true,
        stopSignal: '2',
        cmd: ['run'],
        entrypoint: ['/e'],
        network: 'container:abc',
        pidMode: 'container:abc',
      },
      { l: 'v' },
    );
    expect(o).toMatchObject({
      Image: 'img',
      Env: ['A=1'],
      User: '1000',
      StopSignal: 'SIGINT',
      Cmd: ['run'],
      Entrypoint: ['/e'],
      Labels: { l: 'v' },
      HostConfig: {
        Init: true,
        NetworkMode: 'container:abc',
        PidMode: 'container:abc',
        SecurityOpt: ['no-new-privileges'],
      },
    });
    expect(o.HostConfig?.PidsLimit).toBeGreaterThan(0);
    expect(o.HostConfig?.Memory).toBeGreaterThan(0);
    // No swap beyond the memory limit, a CPU limit, a bounded log, the image's HEALTHCHECK off.
    expect(o.HostConfig?.MemorySwap).toBe(o.HostConfig?.Memory);
    expect(o.HostConfig?.NanoCpus).toBeGreaterThan(0);
    expect(o.HostConfig?.LogConfig).toEqual({
      Type: 'local',
      Config: { 'max-size': '8m', 'max-file': '1', compress: 'false' },
    });
    expect(o.Healthcheck).toEqual({ Test: ['NONE'] });
    expect(o.HostConfig?.CapDrop).toBeUndefined();
    // Joined to another container's network: its DNS is that container's.
    expect(o.HostConfig?.Dns).toBeUndefined();
    // On an internal network of the harness's: no name is forwarded off the machine.
    expect(createOptions({ image: 'i', purpose: 'p', network: 'harness-net' }, {}).HostConfig?.Dns).toEqual([
      '127.0.0.1',
    ]);
    expect(createOptions({ image: 'img', purpose: 'p' }, {}).HostConfig?.NetworkMode).toBe('none');
  });
  it('refuses an unknown stop signal in one line', () => {
    expect(() => createOptions({ image: 'i', purpose: 'p', stopSignal: 'SIGNOPE' }, {})).toThrow(
      'unknown stop signal SIGNOPE',
    );
  });
  it.each([
    ['15', 'SIGTERM'],
    ['SIGINT', 'SIGINT'],
    ['QUIT', 'SIGQUIT'],
    [undefined, 'SIGTERM'],
  ])('an image declaring STOPSIGNAL %j stops with %s', (declared, name) => {
    const info = {
      Config: { StopSignal: declared, Cmd: ['a'], Entrypoint: null, User: '' },
    } as unknown as ContainerDetails;
    expect(configOf(info)).toMatchObject({
      stopSignal: name,
      declaredStopSignal: declared ?? null,
      cmd: ['a'],
      entrypoint: [],
    });
  });
});

/** An engine whose objects were all removed by someone else between list and remove. */
const built = { 'io.harness.image': 'base', 'io.harness.hash': 'abc' };

function raceLostEngine(removed: string[] = []): Engine {
  const gone = (id: string) => () => {
    removed.push(id);
    return Promise.reject(Object.assign(new Error('no such object'), { statusCode: 404 }));
  };
  const docker = {
    listContainers: async () => [
      { Id: 'c1', ImageID: 'i1', Labels: { 'io.harness.run': 'r1' } },
      { Id: 'c2' },
      // Started by hand from an image that carries the run label: inherited, not set at create.
      { Id: 'c3', ImageID: 'i3', Labels: { 'io.harness.run': 'r1' } },
    ],
    getContainer: (id: string) => ({ remove: gone(id) }),
    listNetworks: async () => [{ Id: 'n1' }],
    getNetwork: () => ({ remove: gone('n1') }),
    listImages: async () => [
      { Id: 'i1', Created: 1, Labels: built, RepoTags: ['harness/base:abc', 'harness/base:bookworm'] },
      // Built FROM the base by a user: its labels, not its tag.
      { Id: 'i2', Created: 2, Labels: built, RepoTags: ['team/app:1'] },
    ],
    getImage: (id: string) => ({
      remove: gone(id),
      inspect: async () => ({ Config: { Labels: id === 'i3' ? { 'io.harness.run': 'r1' } : built } }),
    }),
  };
  return { docker, info: {} } as unknown as Engine;
}

describe('removals that race a reaper', () => {
  it('an object already gone is not an error', async () => {
    const engine = raceLostEngine();
    await expect(removeRunObjects(engine, { label: ['x=1'] })).resolves.toEqual({ containers: 2, networks: 1 });
    await expect(removeBuiltImages(engine)).resolves.toBe(0);
  });
});

describe('only its own', () => {
  it('a container whose run label came from its image is left alone', async () => {
    const removed: string[] = [];
    await removeRunObjects(raceLostEngine(removed), { label: ['x=1'] });
    expect(removed.sort()).toEqual(['c1', 'c2', 'n1']);
  });
  it('removes only images that still carry the tag the harness gave them', async () => {
    const removed: string[] = [];
    await removeBuiltImages(raceLostEngine(removed));
    expect(removed).toEqual(['i1']);
  });
});

describe('errors keep their detail', () => {
  it('lists the message, the detail and every cause', () => {
    const root = new Error('socket hang up');
    const err = new ScenarioError('observer did not start', { detail: 'ps: exec failed', cause: root });
    expect(errorNotes(err)).toEqual(['observer did not start', 'ps: exec failed', 'caused by: socket hang up']);
  });
  it('a scenario whose image cannot be built is an error observation with the build output, never a throw', async () => {
    const ctx = { graceSeconds: 2, toolboxImage: 't' } as unknown as CheckContext;
    const o = await scenario(
      ctx,
      { name: 's', image: 'i' },
      {
        check: 'c',
        scenario: null,
        did: 'd',
        empty: { x: null },
        image: async () => {
          throw new BuildFailedError('building x failed: no space left', { detail: 'Step 2/3 : RUN false' });
        },
      },
      async () => {
        throw new Error('never reached');
      },
    );
    expect(o.verdict).toBe('error');
    expect(o.reason).toBe('the scenario could not be carried out: building x failed: no space left');
    expect(o.evidence.notes).toEqual(['building x failed: no space left', 'Step 2/3 : RUN false']);
  });
});

describe('work run in the background', () => {
  it('holds a failure until awaited: no unhandled rejection meanwhile', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      const later = inBackground(Promise.reject(new Error('face-off failed')));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      await expect(later()).rejects.toThrow('face-off failed');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
  it('starts slow tasks first and keeps the results in task order', async () => {
    const started: string[] = [];
    const task = (name: string, slow: boolean) => ({
      slow,
      run: async () => {
        started.push(name);
        return name;
      },
    });
    const results = await runSlowFirst([task('a', false), task('b', true), task('c', false), task('d', true)], 1);
    expect(started).toEqual(['b', 'd', 'a', 'c']);
    expect(results).toEqual(['a', 'b', 'c', 'd']);
  });
  it('starts no further task once stopped (an engine gone), leaving the unstarted as holes', async () => {
    const started: string[] = [];
    let stop = false;
    const task = (name: string, slow: boolean) => ({
      slow,
      run: async () => {
        started.push(name);
        if (name === 'd') stop = true;
        return name;
      },
    });
    const results = await runSlowFirst(
      [task('a', false), task('b', true), task('c', false), task('d', true)],
      1,
      undefined,
      () => stop,
    );
    expect(started).toEqual(['b', 'd']);
    expect(results).toEqual([undefined, 'b', undefined, 'd']);
  });
});

describe('what a check is lives in its definition', () => {
  /** Files outside harness/checks/ allowed to name a check: the public API that runs one by name. */
  const API = new Set(['harness/index.ts', 'harness/vitest.ts']);
  const names = CHECKS.map((c) => c.name);

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  }

  it('no code outside harness/checks/ names a check in a string (so none switches on one)', () => {
    const root = join(import.meta.dirname, '..', '..');
    const found: string[] = [];
    for (const file of sources(join(root, 'harness'))) {
      const rel = relative(root, file).split('\\').join('/');
      if (rel.startsWith('harness/checks/') || API.has(rel)) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/)/.test(line)) return;
          for (const n of names)
            if (new RegExp(`['"\`]${n}['"\`]`).test(line)) found.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it('every check has a remedy, and every check the default policy requires predicts from a Dockerfile', () => {
    for (const c of CHECKS) expect(c.remedy.length, c.name).toBeGreaterThan(40);
    const predicted = CHECKS.filter((c) => c.fromDockerfile).map((c) => c.name);
    expect(defaultPolicy().required.filter((r) => !predicted.includes(r))).toEqual([]);
  });

  it("certify's help lists the gate's checks from their definitions, one line each", () => {
    const gate = CHECKS.filter((c) => c.certify);
    const listed = certifyHelp
      .split('\n')
      .filter((line) => gate.some((c) => line.startsWith(`  ${c.name} `)))
      .map((line) => line.trim().split(/\s{2,}/));
    expect(listed).toEqual(gate.map((c) => [c.name, c.certify?.question]));
  });
});

describe('one version', () => {
  it("is package.json's, as --version prints it", async () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const printed = await execa('node', [join(projectRoot(), 'bin/harness.mjs'), '--version']);
    expect(printed.stdout.trim()).toBe(pkg.version);
  });
});

describe('layers', () => {
  const layers = (root?: string) =>
    execa('node', [join(projectRoot(), 'scripts/layers.mjs'), ...(root ? [root] : [])], { reject: false });

  it('the harness imports only downward and has no cycle', async () => {
    const r = await layers();
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('an upward import, a type one included, a cycle, a folder in no layer and the engine reached round the runtime are each named', async () => {
    const root = mkdtempSync(join(tmpdir(), 'harness-layers-'));
    const put = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    put('engine/a.ts', "import type { B } from '../checks/b.js';\nexport type A = B;\n");
    put('checks/b.ts', "import { c } from './c.js';\nexport type B = string;\nexport const b = c;\n");
    put('checks/c.ts', "import { b } from './b.js';\nexport const c = 1;\nexport const d = () => b;\n");
    put('elsewhere/d.ts', 'export const d = 1;\n');
    put('pod/e.ts', "import type { A } from '../engine/a.js';\nexport type E = A;\n");
    const r = await layers(root);
    rmSync(root, { recursive: true });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n').sort()).toEqual([
      'layers: cycle: checks/b.ts -> checks/c.ts -> checks/b.ts',
      'layers: elsewhere/d.ts: in no layer (add its folder to LAYERS in scripts/layers.mjs)',
      'layers: engine/a.ts imports types from checks/b.ts, a layer above it',
      'layers: pod/e.ts imports types from engine/a.ts: it reaches the engine only through runtime/',
    ]);
  });
});
