import type { Engine } from './connect.js';

/**
 * Known weaknesses of engine versions in the sandbox the harness relies on to run an
 * untrusted image: escapes to the host and leaks off the machine. Upstream versions
 * only: a distribution's package can carry the fix under an older number (its changelog
 * says), so each advisory says "may".
 */
export interface EngineComponent {
  Name: string;
  Version: string;
}

interface Advisory {
  component: RegExp;
  fixedIn: string;
  id: string;
  says: string;
}

const ADVISORIES: Advisory[] = [
  {
    component: /^(Engine|docker)$/i,
    fixedIn: '26.0.0',
    id: 'CVE-2024-29018',
    says: "names asked from an internal network are forwarded off the machine by dockerd's resolver (the harness points them at the container's own loopback instead)",
  },
  {
    component: /^runc$/i,
    fixedIn: '1.1.12',
    id: 'CVE-2024-21626',
    says: "a leaked file descriptor lets a container's process reach the host's filesystem: a hostile image can escape",
  },
  {
    component: /^containerd$/i,
    fixedIn: '1.6.18',
    id: 'CVE-2023-25173',
    says: "supplementary groups of the image's USER are not dropped as they should be",
  },
  {
    component: /^podman$/i,
    fixedIn: '4.9.4',
    id: 'CVE-2024-1753',
    says: 'a Containerfile can bind-mount host files during a build (--verify-fix builds the image)',
  },
];

/** "1.1.5+ds1" -> [1, 1, 5]; null when it is not a version number. */
function versionParts(text: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

function older(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}

/** One line per known weakness of the engine's components, by their versions. */
export function sandboxAdvisories(components: EngineComponent[]): string[] {
  const lines: string[] = [];
  for (const c of components) {
    const v = versionParts(c.Version);
    if (!v) continue;
    for (const a of ADVISORIES) {
      if (a.component.test(c.Name) && older(v, versionParts(a.fixedIn) as number[]))
        lines.push(`${c.Name} ${c.Version} may be affected by ${a.id} (fixed upstream in ${a.fixedIn}): ${a.says}`);
    }
  }
  return lines;
}

/** The advisories of an engine that answers, from its version's component list. */
export async function engineAdvisories(engine: Engine): Promise<string[]> {
  const version = (await engine.docker.version().catch(() => ({}))) as { Components?: EngineComponent[] };
  return sandboxAdvisories(version.Components ?? []);
}
