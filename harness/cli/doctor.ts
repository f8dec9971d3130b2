import { engineCandidates, findEngine } from '../engine/connect.js';
import { noEngineAdvice } from '../engine/bringup.js';
import { baseImageTag, baseRecipeHash } from '../images/base.js';
import { contextHash } from '../images/build.js';
import { imageId, inspectImage } from '../engine/images.js';
import { toolboxSpec } from '../images/catalogue.js';
import { LABEL } from '../engine/labels.js';
import { EngineUnavailableError, NotReadyError } from '../errors.js';

export const doctorHelp = `harness doctor

Says which container engine answers (Docker or Podman, version, socket; DOCKER_HOST
or CONTAINER_HOST when set, else Docker's socket, then Podman's rootful and rootless), whether the
base and toolbox images exist, and what to run when something is missing. Changes
nothing. Exit 0 when ready, 2 when not.`;

/** Returns the lines to print; throws a one-line error when not ready. */
export async function doctor(out: (line: string) => void): Promise<void> {
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
  out(
    `engine   ${info.kind} ${info.version} (API ${info.apiVersion}, cgroup v${info.cgroupVersion}) at ${info.endpoint}`,
  );
  const tag = baseImageTag();
  let baseState: 'missing' | 'stale' | 'ok' = 'missing';
  const img = await inspectImage(on, tag);
  if (img) baseState = img.labels[LABEL.recipe] === baseRecipeHash() || process.env.HARNESS_BASE_IMAGE ? 'ok' : 'stale';
  out(
    `base     ${tag}: ${baseState === 'ok' ? 'present' : baseState === 'stale' ? 'present but its recipe changed' : 'missing'}`,
  );
  const baseId = baseState === 'missing' ? undefined : await imageId(on, tag);
  const toolboxTag = baseId ? `harness/toolbox:${contextHash(toolboxSpec(tag), baseId)}` : undefined;
  const toolboxOk = toolboxTag ? !!(await imageId(on, toolboxTag)) : false;
  out(`toolbox  ${toolboxTag ?? 'harness/toolbox'}: ${toolboxOk ? 'present' : 'missing'}`);
  if (baseState !== 'ok' || !toolboxOk) {
    throw new NotReadyError(
      `not ready: the ${baseState !== 'ok' ? 'base' : 'toolbox'} image is missing or stale: run \`npx harness setup\``,
    );
  }
  out('ready');
}
