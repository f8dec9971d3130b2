/**
 * Expected rows: what really happens to a catalogue subject, per the kernel and each
 * init's documented behaviour (see the conformance reference), confirmed on Docker
 * 20.10 / cgroup v1 with the bookworm base. Each check's definition derives its row
 * from the variant's facts (harness/images/catalogue.ts); the suites assert them and
 * `harness matrix` puts them next to each observation. Only deterministic fields are
 * listed (timings are asserted as bands by the suites, not stored here).
 */
import { checkByName, type AnyCheck } from './battery.js';
import { PROGRAMS, variantByName, type Program } from '../images/catalogue.js';
import { ENGINE_NOTE } from '../images/expected-row.js';

type Row = Record<string, unknown>;

/** The expected row for a catalogue subject's check and scenario (undefined for other images). */
export function expectedRow(
  check: string | AnyCheck,
  variant: string | undefined,
  program: string | undefined,
  scenario: string | null,
  engine: string = 'docker',
): Row | undefined {
  const definition = typeof check === 'string' ? checkByName(check) : check;
  const v = variant ? variantByName(variant) : undefined;
  if (!definition || !v || !PROGRAMS.includes(program as Program)) return undefined;
  const differs = v.onEngine?.[engine as 'docker' | 'podman' | 'cri'];
  const facts = differs?.facts ?? v.facts;
  const row = definition.expected({ variant: v.name, facts, program: program as Program }, scenario);
  if (!row || !differs) return row;
  // Say why only where the row itself changed on this engine.
  const usual = definition.expected({ variant: v.name, facts: v.facts, program: program as Program }, scenario);
  return JSON.stringify(usual) === JSON.stringify(row) ? row : { ...row, [ENGINE_NOTE]: differs.why };
}
