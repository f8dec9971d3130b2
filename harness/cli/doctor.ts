import { criStatus } from '../cri/containerd.js';
import { engineAdvisories } from '../engine/advisories.js';
import { engineCandidates, findEngine } from '../engine/connect.js';
import { noEngineAdvice } from '../engine/bringup.js';
import { baseImageTag, baseRecipeHash } from '../images/base.js';
import { contextHash } from '../images/build.js';
import { imageId, inspectImage } from '../engine/images.js';
import { toolboxSpec } from '../images/catalogue.js';
import { LABEL } from '../engine/labels.js';
import { EngineUnavailableError, HarnessError, NotReadyError } from '../errors.js';
import { parse, type Options } from './args.js';

export const doctorHelp = `harness doctor [--json]

Says which container engine answers (Docker or Podman, version, socket; DOCKER_HOST
or CONTAINER_HOST when set, else Docker's socket, then Podman's rootful and rootless), whether the
base and toolbox images exist, and what to run when something is missing; names the
engine's component versions with known sandbox escapes or leaks off the machine (upstream
fixes: a distribution's package may carry them), and whether the harness's own
containerd with the CRI (\`harness setup --runtime cri\`) runs. Changes nothing. Exit 0
when ready, 2 when not.

Options:
  --json   print what was found as one JSON object on stdout (ready, engine, base,
           toolbox, cri, and the problem with its advice when not ready)`;

/** What doctor found, as --json prints it. */
export interface DoctorFindings {
  ready: boolean;
  engine: { kind: string; version: string; apiVersion: string; cgroupVersion: string; endpoint: string } | null;
  base: { image: string; state: 'missing' | 'stale' | 'present' } | null;
  toolbox: { image: string; present: boolean } | null;
  /** The harness's own containerd with the CRI: whether it runs (not needed to be ready). */
  cri?: { state: 'ready' | 'stopped'; socket: string; version?: string };
  /** Known sandbox escapes or leaks of the engine's component versions (see advisories.ts). */
  advisories?: string[];
  problem?: string;
}

/** The options `harness doctor` takes (its help text names each: a unit test checks). */
export const doctorOptions = { json: { type: 'boolean' } } satisfies Options;

export async function doctorCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parse('doctor', argv, doctorOptions);
  if (!values.json) {
    await doctor(out);
    return 0;
  }
  const findings: DoctorFindings = { ready: false, engine: null, base: null, toolbox: null };
  try {
    await doctor(() => undefined, findings);
    findings.ready = true;
  } catch (err) {
    if (!(err instanceof HarnessError)) throw err;
    findings.problem = err.message;
    out(JSON.stringify(findings, null, 2));
    return err.exitCode;
  }
  out(JSON.stringify(findings, null, 2));
  return 0;
}

/** Returns the lines to print; throws a one-line error when not ready. */
export async function doctor(out: (line: string) => void, findings?: DoctorFindings): Promise<void> {
  const engine = await findEngine();
  if (!engine) {
    const candidates = engineCandidates();
    const tried = candidates.map((c) => `${c.source} ${c.address.url}`);
    const explicit = candidates.find((c) => c.explicit);
    const advice = explicit
      ? `start the engine there, or unset ${explicit.source} to use the local one`
      : noEngineAdvice();
    throw new EngineUnavailableError(`no container engine answers (tried ${tried.join(', ')}): ${advice}`);
  }
  const { info } = engine;
  const on = { engine };
  if (findings)
    findings.engine = {
      kind: info.kind,
      version: info.version,
      apiVersion: info.apiVersion,
      cgroupVersion: String(info.cgroupVersion),
      endpoint: info.endpoint,
    };
  out(
    `engine   ${info.kind} ${info.version} (API ${info.apiVersion}, cgroup v${info.cgroupVersion}) at ${info.endpoint}`,
  );
  // Known escapes and leaks of this engine's versions: advice, not a reason to refuse.
  const advisories = await engineAdvisories(engine);
  for (const a of advisories) out(`sandbox  ${a}`);
  if (findings) findings.advisories = advisories;
  const tag = baseImageTag();
  let baseState: 'missing' | 'stale' | 'ok' = 'missing';
  const img = await inspectImage(on, tag);
  if (img) baseState = img.labels[LABEL.recipe] === baseRecipeHash() || process.env.HARNESS_BASE_IMAGE ? 'ok' : 'stale';
  out(
    `base     ${tag}: ${baseState === 'ok' ? 'present' : baseState === 'stale' ? 'present but its recipe changed' : 'missing'}`,
  );
  if (findings) findings.base = { image: tag, state: baseState === 'ok' ? 'present' : baseState };
  const baseId = baseState === 'missing' ? undefined : await imageId(on, tag);
  const toolboxTag = baseId ? `harness/toolbox:${contextHash(toolboxSpec(tag), baseId)}` : undefined;
  const toolboxOk = toolboxTag ? !!(await imageId(on, toolboxTag)) : false;
  out(`toolbox  ${toolboxTag ?? 'harness/toolbox'}: ${toolboxOk ? 'present' : 'missing'}`);
  if (findings) findings.toolbox = { image: toolboxTag ?? 'harness/toolbox', present: toolboxOk };
  const cri = await criStatus();
  out(
    `cri      ${cri.state === 'ready' ? `containerd ${cri.version} at ${cri.socket}` : 'not running (only `--runtime cri` needs it: `harness setup --runtime cri`)'}`,
  );
  if (findings)
    findings.cri = { state: cri.state, socket: cri.socket, ...(cri.version ? { version: cri.version } : {}) };
  if (baseState !== 'ok' || !toolboxOk) {
    throw new NotReadyError(
      `not ready: the ${baseState !== 'ok' ? 'base' : 'toolbox'} image is missing or stale: run \`npx harness setup\``,
    );
  }
  out('ready');
}
