import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { aptInstall, isRoot } from '../engine/bringup.js';
import { processAlive } from '../engine/labels.js';
import { SetupError } from '../errors.js';
import type { Logger } from '../log.js';
import { stateDir } from '../paths.js';

/**
 * The harness's own containerd with its CRI plugin, the runtime a kubelet drives: its
 * own root, state and socket under the harness's state folder, its own CNI config (a
 * bridge and a subnet nothing else uses), and a pause image built from the offline base.
 * It never touches the Docker engine's containerd.
 */

/** The bridge and subnet of the pods this containerd runs: the harness's alone. */
export const CRI_BRIDGE = 'harness-cri0';
export const CRI_SUBNET = '10.213.0.0/24';
/** Where Debian's containernetworking-plugins puts its plugins. */
const CNI_BIN = '/usr/lib/cni';
const START_WAIT_MS = 30_000;

export interface CriPaths {
  dir: string;
  root: string;
  state: string;
  socket: string;
  config: string;
  netd: string;
  pid: string;
  log: string;
}

export function criPaths(dir = join(stateDir(), 'cri')): CriPaths {
  return {
    dir,
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    socket: join(dir, 'containerd.sock'),
    config: join(dir, 'config.toml'),
    netd: join(dir, 'net.d'),
    pid: join(dir, 'containerd.pid'),
    log: join(dir, 'containerd.log'),
  };
}

/**
 * Its config (version 2): own root, state and socket; the CRI plugin with the pause
 * image as sandbox_image, restrict_oom_score_adj (runc cannot lower oom_score_adj on
 * machines like this one: without it every sandbox fails to start) and its CNI folders.
 */
export function configToml(p: CriPaths, sandboxImage: string): string {
  return `version = 2
root = ${JSON.stringify(p.root)}
state = ${JSON.stringify(p.state)}

[grpc]
  address = ${JSON.stringify(p.socket)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${JSON.stringify(sandboxImage)}
  restrict_oom_score_adj = true

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = ${JSON.stringify(CNI_BIN)}
  conf_dir = ${JSON.stringify(p.netd)}
`;
}

/** One network for its pods: a bridge of its own on its own subnet (no masquerade: no route out is made), then loopback. */
export function cniConflist(): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'harness-cri',
      plugins: [
        {
          type: 'bridge',
          bridge: CRI_BRIDGE,
          isGateway: true,
          ipMasq: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: CRI_SUBNET }]] },
        },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  )}\n`;
}

/** The server version when the containerd on `socket` answers, else null. */
async function answers(socket: string): Promise<string | null> {
  if (!existsSync(socket)) return null;
  const r = await execa('ctr', ['--address', socket, 'version'], { reject: false, timeout: 5000 });
  if (r.exitCode !== 0) return null;
  return /Server:\s*\n\s*Version:\s*(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

const ownPid = (p: CriPaths): number | null => {
  if (!existsSync(p.pid)) return null;
  const pid = Number(readFileSync(p.pid, 'utf8').trim());
  return processAlive(pid) ? pid : null;
};

export interface CriState {
  state: 'ready' | 'stopped';
  socket: string;
  version?: string;
  /** The containerd the harness started (null: none of its own runs). */
  pid: number | null;
}

/** Whether the harness's containerd runs and answers. */
export async function criStatus(p = criPaths()): Promise<CriState> {
  const version = await answers(p.socket);
  const pid = ownPid(p);
  return version ? { state: 'ready', socket: p.socket, version, pid } : { state: 'stopped', socket: p.socket, pid };
}

/** The images containerd's CRI sees (its k8s.io namespace). */
async function criImages(p: CriPaths): Promise<string[]> {
  const r = await execa('ctr', ['--address', p.socket, '-n', 'k8s.io', 'images', 'ls', '-q'], { reject: false });
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/**
 * Bring the harness's containerd up, and change nothing when it already is: Debian's
 * containerd and containernetworking-plugins installed when missing (root), its config
 * and CNI config written, it started (detached: it outlives this process, until
 * `harness clean`) and waited for, and the pause image imported into its k8s.io
 * namespace from the engine that built it. `pause.ref` is its tag there.
 */
export async function ensureCri(
  log: Logger,
  pause: { ref: string; save: () => Promise<NodeJS.ReadableStream> },
  p = criPaths(),
): Promise<CriState & { sandboxImage: string }> {
  const sandboxImage = `docker.io/${pause.ref}`;
  const config = configToml(p, sandboxImage);
  const current = existsSync(p.config) ? readFileSync(p.config, 'utf8') : '';
  let state = await criStatus(p);
  if (state.state !== 'ready' || current !== config) {
    if (!isRoot())
      throw new SetupError(
        'setup --runtime cri starts a containerd of its own: run it as root (sudo npx harness setup --runtime cri)',
      );
    const missing = [
      ...((await has('containerd')) && (await has('ctr')) ? [] : ['containerd']),
      ...(existsSync(join(CNI_BIN, 'bridge')) ? [] : ['containernetworking-plugins']),
    ];
    if (missing.length) await aptInstall(missing, log);
    for (const d of [p.dir, p.root, p.state, p.netd]) mkdirSync(d, { recursive: true, mode: 0o700 });
    writeFileSync(join(p.netd, '10-harness.conflist'), cniConflist());
    writeFileSync(p.config, config);
    if (state.pid) await stopPid(state.pid, log);
    const fd = openSync(p.log, 'a');
    const child = spawn('containerd', ['--config', p.config], { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    writeFileSync(p.pid, String(child.pid));
    log(`started containerd --config ${p.config} (pid ${child.pid}), log: ${p.log}`);
    const deadline = Date.now() + START_WAIT_MS;
    while ((state = await criStatus(p)).state !== 'ready') {
      if (Date.now() > deadline || !processAlive(child.pid ?? 0))
        throw new SetupError(
          `the harness's containerd did not answer on ${p.socket} within ${START_WAIT_MS / 1000} s`,
          {
            detail: existsSync(p.log) ? readFileSync(p.log, 'utf8').split('\n').slice(-20).join('\n') : undefined,
          },
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await isolateBridge();
  if (!(await criImages(p)).includes(sandboxImage)) await importImage(p, sandboxImage, pause.save, log);
  return { ...state, sandboxImage };
}

/**
 * The rules that keep the harness's pods on their bridge (its CNI config makes no route
 * out, and these make sure of it): nothing a pod sends is forwarded off the bridge, and
 * a pod opens no connection to the host (the host's probes to the pods, and their
 * answers, pass). Each rule is added once, first in its chain.
 */
export const ISOLATION_RULES: readonly (readonly string[])[] = [
  ['FORWARD', '-i', CRI_BRIDGE, '!', '-o', CRI_BRIDGE, '-j', 'DROP'],
  ['INPUT', '-i', CRI_BRIDGE, '-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'DROP'],
];

/**
 * Undo what the harness's containerd set up on the host once none runs: the isolation
 * rules and the CNI bridge.
 */
export async function releaseBridge(): Promise<void> {
  for (const [chain, ...rule] of ISOLATION_RULES) {
    // Once for each time it was added.
    let removed = true;
    while (removed)
      removed = (await execa('iptables', ['-w', '-D', chain as string, ...rule], { reject: false })).exitCode === 0;
  }
  await execa('ip', ['link', 'delete', CRI_BRIDGE], { reject: false });
}

async function isolateBridge(): Promise<void> {
  for (const [chain, ...rule] of ISOLATION_RULES) {
    const present = await execa('iptables', ['-w', '-C', chain as string, ...rule], { reject: false });
    if (present.exitCode === 0) continue;
    const added = await execa('iptables', ['-w', '-I', chain as string, '1', ...rule], { reject: false, all: true });
    if (added.exitCode !== 0)
      throw new SetupError(
        `could not keep the harness's pods on their bridge (iptables -I ${chain} ${rule.join(' ')}): ${added.all?.trim().split('\n').at(-1) ?? ''}`,
        { detail: added.all },
      );
  }
}

/**
 * Import an image into the harness's containerd (its k8s.io namespace, where the CRI
 * looks) from `save`, a `docker save` stream of it; `name` is what it must then be
 * listed as.
 */
export function importImage(
  p: CriPaths,
  name: string,
  save: () => Promise<NodeJS.ReadableStream>,
  log: Logger,
): Promise<void> {
  // One at a time (images share their base's layers, which two imports at once would
  // both write), and a failed one tried once more.
  const run = () => importOnce(p, name, save, log);
  const next = imports.then(run).catch(run);
  imports = next.catch(() => undefined);
  return next;
}

let imports: Promise<unknown> = Promise.resolve();

async function importOnce(
  p: CriPaths,
  name: string,
  save: () => Promise<NodeJS.ReadableStream>,
  log: Logger,
): Promise<void> {
  log(`importing ${name} into the harness's containerd`);
  const file = join(p.dir, `import-${process.pid}-${Date.now()}.tar`);
  try {
    await pipeline(await save(), createWriteStream(file, { mode: 0o600 }));
    const r = await execa('ctr', ['--address', p.socket, '-n', 'k8s.io', 'images', 'import', file], {
      reject: false,
      all: true,
    });
    if (r.exitCode !== 0 || !(await criImages(p)).includes(name))
      throw new SetupError(
        `could not import ${name} into the harness's containerd: ${(r.all ?? '').trim().split('\n').at(-1) ?? ''}`,
        { detail: r.all },
      );
  } finally {
    rmSync(file, { force: true });
  }
}

async function has(command: string): Promise<boolean> {
  return (await execa('sh', ['-c', `command -v ${command}`], { reject: false })).exitCode === 0;
}

async function stopPid(pid: number, log: Logger): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  log(`stopped the harness's containerd (pid ${pid})`);
}

/** Stop the harness's containerd when it started one that still runs; true when it did. */
export async function stopCri(log: Logger, p = criPaths()): Promise<boolean> {
  const pid = ownPid(p);
  if (!pid) return false;
  await stopPid(pid, log);
  rmSync(p.pid, { force: true });
  return true;
}
