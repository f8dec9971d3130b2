import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { privateTempDir } from '../safe-paths.js';
import type { EngineAddress } from './address.js';

type SshAddress = Extract<EngineAddress, { scheme: 'ssh' }>;
type UnixAddress = Extract<EngineAddress, { scheme: 'unix' }>;

const FORWARD_WAIT_MS = 15_000;

/** ssh's arguments for a forward of the remote engine socket to `localPath`, no shell, no prompt. */
export function sshForwardArgs(address: SshAddress, localPath: string): string[] {
  return [
    '-nNT',
    '-o',
    'BatchMode=yes',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'StreamLocalBindUnlink=yes',
    '-o',
    'ServerAliveInterval=15',
    ...(address.port ? ['-p', String(address.port)] : []),
    '-L',
    `${localPath}:${address.socketPath}`,
    address.user ? `${address.user}@${address.host}` : address.host,
  ];
}

const forwards = new Set<number>();
process.once('exit', () => {
  for (const pid of forwards) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});

/**
 * Reach an engine over ssh as Docker's client does, through a local unix socket that
 * `ssh -L` forwards to the remote engine's socket (so dockerode and testcontainers both
 * use it). The forward lives as long as this process; it is started in its own process
 * group so that a Ctrl-C reaches the harness, which still needs the engine to clean up.
 */
export async function openSshForward(address: SshAddress): Promise<UnixAddress> {
  const dir = privateTempDir(`harness-ssh-${process.getuid?.() ?? 'user'}`);
  const id = createHash('sha256').update(address.url).digest('hex').slice(0, 12);
  const localPath = join(dir, `${id}-${process.pid}.sock`);
  rmSync(localPath, { force: true });
  const child = spawn('ssh', sshForwardArgs(address, localPath), { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid) forwards.add(child.pid);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
    if (child.pid) forwards.delete(child.pid);
  });
  child.once('error', () => (exited = -1));
  const deadline = Date.now() + FORWARD_WAIT_MS;
  while (!existsSync(localPath)) {
    if (exited !== undefined || Date.now() > deadline) {
      child.kill();
      throw new Error(`ssh to ${address.host} did not forward ${address.socketPath}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { scheme: 'unix', url: `unix://${localPath}`, socketPath: localPath };
}
