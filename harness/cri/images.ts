import type { Logger } from '../log.js';
import type { CriClient } from './client.js';
import { importImage, type CriPaths } from './containerd.js';

/**
 * An image reference as containerd names it: a registry host first (docker.io when the
 * first part names none), library/ for a single name, :latest when there is no tag or
 * digest (the normalization the CRI applies to an ImageSpec).
 */
export function criImageName(ref: string): string {
  const [first, ...rest] = ref.split('/');
  const hasRegistry = rest.length > 0 && (first === 'localhost' || /[.:]/.test(first ?? ''));
  const named = hasRegistry ? ref : rest.length ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  const last = named.slice(named.lastIndexOf('/') + 1);
  return last.includes(':') || last.includes('@') ? named : `${named}:latest`;
}

/** An image of the engine that built it: its reference, id and a `docker save` of it. */
export interface EngineImage {
  ref: string;
  /** The engine's image id (its config digest, sha256:...). */
  id: string;
  save: () => Promise<NodeJS.ReadableStream>;
}

/**
 * Make an engine's image present in the harness's containerd under its own name: left
 * alone when the runtime already has that name with the same image id (config digest),
 * imported (again) otherwise. Returns the name the CRI knows it by.
 */
export async function ensureCriImage(client: CriClient, p: CriPaths, image: EngineImage, log: Logger): Promise<string> {
  const name = criImageName(image.ref);
  const present = await client.imageStatus(name);
  if (present?.id !== image.id) await importImage(p, name, image.save, log);
  return name;
}
