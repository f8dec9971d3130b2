import { imagesDir } from '../paths.js';
import type { ImageSpec } from './build.js';

/**
 * What a variant is, as the expected rows need it: the kernel and each init's
 * documented behaviour follow from these (see the conformance reference). Confirmed on
 * Docker 20.10 / cgroup v1 with the bookworm base.
 */
export interface VariantFacts {
  /** PID 1's process name as ps shows it (a #! script is named after the script). */
  pid1: string;
  /**
   * Who PID 1 is. program: the program replaces its launcher; shell: a shell runs the
   * program as a child and neither traps nor forwards; trap: a bash script that traps
   * TERM and INT, forwards them and waits; init: an init runs the program as a child.
   */
  role: 'program' | 'shell' | 'trap' | 'init';
  /** An init's SIGTERM, from its masks: caught (a handler) or blocked (sigwait / signalfd). */
  initSigterm?: 'caught' | 'blocked';
  /** The init signals the child's whole process group, so orphaned grandchildren get it too. */
  signalsGroup?: boolean;
  /** The script carries on after the program ends and exits with its own status (0). */
  ownExitStatus?: boolean;
}

/** One way of starting the sample program: an image plus how the engine runs it. */
export interface Variant {
  name: string;
  description: string;
  /** Start with the engine's init option (docker-init / catatonit as PID 1). */
  init?: boolean;
  /** The image folder under images/variants/ (defaults to the variant name). */
  folder?: string;
  facts: VariantFacts;
  /**
   * Where an engine runs the variant differently (its own init, say): the facts there,
   * and why. The expected row on that engine follows them and carries the reason.
   */
  onEngine?: Partial<Record<'docker' | 'podman' | 'cri', { facts: VariantFacts; why: string }>>;
}

export const VARIANTS: readonly Variant[] = [
  {
    name: 'shell-form',
    description: 'CMD in shell form: /bin/sh -c runs the program',
    facts: { pid1: 'sh', role: 'shell' },
  },
  {
    name: 'exec-form',
    description: 'CMD in exec form: the program is PID 1',
    facts: { pid1: 'python3', role: 'program' },
  },
  {
    name: 'bash-entrypoint',
    description: 'entrypoint script that runs the program without exec',
    facts: { pid1: 'entrypoint.sh', role: 'shell', ownExitStatus: true },
  },
  {
    name: 'bash-exec',
    description: 'entrypoint script ending in exec "$@"',
    facts: { pid1: 'python3', role: 'program' },
  },
  {
    name: 'bash-trap',
    description: 'entrypoint script that traps TERM/INT, forwards them and waits',
    facts: { pid1: 'entrypoint.sh', role: 'trap' },
  },
  {
    name: 'tini',
    description: 'tini as PID 1',
    facts: { pid1: 'tini', role: 'init', initSigterm: 'blocked' },
  },
  {
    name: 'tini-group',
    description: 'tini -g: signals go to the child process group',
    facts: { pid1: 'tini', role: 'init', initSigterm: 'blocked', signalsGroup: true },
  },
  {
    name: 'dumb-init',
    description: 'dumb-init as PID 1 (setsid mode: signals go to the group)',
    facts: { pid1: 'dumb-init', role: 'init', initSigterm: 'caught', signalsGroup: true },
  },
  {
    name: 'dumb-init-single-child',
    description: 'dumb-init --single-child: signals go to the child only',
    facts: { pid1: 'dumb-init', role: 'init', initSigterm: 'caught' },
  },
  {
    name: 'catatonit',
    description: 'catatonit as PID 1',
    facts: { pid1: 'catatonit', role: 'init', initSigterm: 'blocked' },
  },
  {
    name: 'docker-init',
    description: "exec form started with the engine's init option (--init)",
    init: true,
    // Docker's init is tini, installed as docker-init.
    facts: { pid1: 'docker-init', role: 'init', initSigterm: 'blocked' },
    onEngine: {
      podman: {
        facts: { pid1: 'podman-init', role: 'init', initSigterm: 'blocked' },
        why: "Podman's --init is catatonit, mounted as /run/podman-init, not Docker's tini (docker-init)",
      },
      cri: {
        facts: { pid1: 'python3', role: 'program' },
        why: "the CRI has no init option (a kubelet runs the image's entrypoint as PID 1): the program itself is PID 1",
      },
    },
  },
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

/** The pause image of the harness's own containerd (its CRI sandbox_image). */
export function pauseSpec(base: string): ImageSpec {
  return {
    name: 'pause',
    contextDir: imagesDir(),
    dockerfile: 'pause/Dockerfile',
    include: ['pause'],
    purpose: 'pause-image',
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
export const CERTIFY_FIXTURES = [
  'scratch-catatonit',
  'scratch-sleeper',
  'crash-on-start',
  'needs-port',
  'floods-stdout',
  'fills-pids',
  'eats-memory',
  'hides-from-observer',
  'prints-escapes',
  'lies-ready',
  'supervisor-loop',
  'wsgi-workers',
] as const;

export function certifyFixtureSpec(name: string, base: string): ImageSpec {
  return {
    name: `certify-${name}`,
    contextDir: imagesDir(),
    dockerfile: `certify/${name}/Dockerfile`,
    include: [`certify/${name}`],
    purpose: 'certify-fixture',
    base,
  };
}
