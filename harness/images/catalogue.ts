import { imagesDir } from '../paths.js';
import type { ImageSpec } from './build.js';

/** One way of starting the sample program: an image plus how the engine runs it. */
export interface Variant {
  name: string;
  description: string;
  /** Start with the engine's init option (docker-init / catatonit as PID 1). */
  init?: boolean;
  /** The image folder under images/variants/ (defaults to the variant name). */
  folder?: string;
}

export const VARIANTS: readonly Variant[] = [
  { name: 'shell-form', description: 'CMD in shell form: /bin/sh -c runs the program' },
  { name: 'exec-form', description: 'CMD in exec form: the program is PID 1' },
  { name: 'bash-entrypoint', description: 'entrypoint script that runs the program without exec' },
  { name: 'bash-exec', description: 'entrypoint script ending in exec "$@"' },
  { name: 'bash-trap', description: 'entrypoint script that traps TERM/INT, forwards them and waits' },
  { name: 'tini', description: 'tini as PID 1' },
  { name: 'tini-group', description: 'tini -g: signals go to the child process group' },
  { name: 'dumb-init', description: 'dumb-init as PID 1 (setsid mode: signals go to the group)' },
  { name: 'dumb-init-single-child', description: 'dumb-init --single-child: signals go to the child only' },
  { name: 'catatonit', description: 'catatonit as PID 1' },
  { name: 'docker-init', description: "exec form started with the engine's init option (--init)", init: true },
];

export const PROGRAMS = ['aware', 'naive'] as const;
export type Program = (typeof PROGRAMS)[number];

export function variantByName(name: string): Variant | undefined {
  return VARIANTS.find((v) => v.name === name);
}

export function toolboxSpec(base: string): ImageSpec {
  return {
    name: 'toolbox',
    contextDir: imagesDir(),
    dockerfile: 'toolbox/Dockerfile',
    include: ['toolbox'],
    purpose: 'toolbox-image',
    base,
  };
}

export function variantSpec(variant: Variant, base: string): ImageSpec {
  const folder = `variants/${variant.folder ?? variant.name}`;
  return {
    name: `sample-${variant.name}`,
    contextDir: imagesDir(),
    dockerfile: `${folder}/Dockerfile`,
    include: ['sample', folder],
    purpose: 'sample-image',
    base,
  };
}

/** The variant image re-declared with STOPSIGNAL SIGINT. */
export function stopSignalSpec(variant: Variant, variantTag: string): ImageSpec {
  return {
    name: `sample-${variant.name}-sigint`,
    contextDir: imagesDir(),
    dockerfile: 'stopsignal/Dockerfile',
    include: [],
    purpose: 'sample-image',
    base: variantTag,
  };
}

/** Images the certify suites use besides the catalogue: shell-less and broken ones. */
export const CERTIFY_FIXTURES = ['scratch-catatonit', 'scratch-sleeper', 'crash-on-start'] as const;

export function certifyFixtureSpec(name: string, base: string): ImageSpec {
  return {
    name: `certify-${name}`,
    contextDir: imagesDir(),
    dockerfile: `certify/${name}/Dockerfile`,
    include: [],
    purpose: 'certify-fixture',
    base,
  };
}
