/**
 * How an expected row (what a catalogue subject must show for a check) is compared with
 * an observation. The rows themselves come from the check definitions
 * (checks/expected.ts); reports compare them without loading any check.
 */

type Row = Record<string, unknown>;

/** The key of an expected row's note on why an engine differs: said, never compared. */
export const ENGINE_NOTE = 'engineNote';

/** The fields of `expected` that differ in `observed` (empty when the row holds). */
export function mismatches(expected: Row, observed: object): string[] {
  const o = observed as Row;
  return Object.entries(expected)
    .filter(([k]) => k !== ENGINE_NOTE)
    .filter(([k, v]) => JSON.stringify(o[k]) !== JSON.stringify(v))
    .map(([k, v]) => `${k}: expected ${JSON.stringify(v)}, observed ${JSON.stringify(o[k])}`);
}
