import type { DockerfileReading, Predicted } from './dockerfile-reading.js';
import type { VariantFacts } from '../images/catalogue.js';
import type { Observation, Verdict } from './observation.js';
import type { CheckContext, Subject } from './subject.js';

/**
 * The terms of a certification policy a check judges by (the certify gate's Policy has
 * them, and more): declared here so checks sit below the gate that runs them.
 */
export interface PolicyTerms {
  graceSeconds: number;
  maxStopSeconds: number;
  acceptedExitCodes: readonly number[];
  allowZombies: boolean;
}

export type { DockerfileReading, Predicted } from './dockerfile-reading.js';

/** A catalogue subject, as the expected rows see it: the variant's facts and the program. */
export interface CatalogueSubject {
  variant: string;
  facts: VariantFacts;
  program: 'aware' | 'naive';
}

/**
 * One behaviour the harness checks, everything about it in one place: its scenarios and
 * how to run one, the row it expects of a catalogue subject, its headline figure in a
 * matrix cell, and (when it is part of the certification gate) how a policy judges it.
 * Matrix, certify, reports and expected rows read definitions; nothing else switches
 * on a check's name.
 */
export interface CheckDefinition<O extends object = object> {
  readonly name: string;
  /** One line for help texts and reports. */
  readonly description: string;
  /** What its scenarios do, for the battery's table in docs/battery.md (Markdown). */
  readonly does: string;
  /** What it observes, for the same table (Markdown). */
  readonly observes: string;
  /** The matrix's scenarios, one container each (null: the check has one). */
  readonly scenarios: readonly (string | null)[];
  /** Waits out a grace period: scheduled first, so a pool does not end on a long tail. */
  readonly slow: boolean;
  run(ctx: CheckContext, subject: Subject, scenario: string | null): Promise<Observation<O>>;
  /** The deterministic fields a catalogue subject must show (undefined: none known). */
  expected(subject: CatalogueSubject, scenario: string | null): Partial<O> | undefined;
  /**
   * One observation's headline figure, a few characters (a matrix cell shows its
   * scenarios' figures together). The report carries it: renderers never load checks.
   */
  figure(observed: O, scenario: string | null): string;
  /** Stop duration and outcome, for the report's stop chart. */
  stopBar?(observed: O): { stopDurationMs: number; killed: boolean; exitCode: number | null } | undefined;
  /** How a failure is fixed, in a few sentences: the help text of its SARIF rule. */
  readonly remedy: string;
  /** Its verdict as a Dockerfile predicts it (absent: the Dockerfile says nothing of it). */
  fromDockerfile?(d: DockerfileReading): Predicted;
  /** It fails when the stop signal never reaches the program: an exec-form start is the fix to propose. */
  readonly fixedByExecForm?: boolean;
  /** It fails when nothing reaps orphans: running with an init as PID 1 is the fix to propose. */
  readonly fixedByInit?: boolean;
  /** Part of the certification gate: how it is run on any image and judged under a policy. */
  readonly certify?: CertifyPart<O>;
}

export interface CertifyPart<O extends object> {
  /** What the gate asks of an image, in one line: certify's help lists it. */
  readonly question: string;
  /** The scenarios run on a certified image. */
  readonly scenarios: readonly (string | null)[];
  /** Run one on any image (defaults to the definition's run). */
  run?(ctx: CheckContext, subject: Subject, scenario: string | null, policy: PolicyTerms): Promise<Observation<O>>;
  /** Re-judge under the policy (defaults to the check's own good-practice verdict). */
  judge?(o: Observation<O>, policy: PolicyTerms): { verdict: Verdict; reason: string };
  /** What the policy asks, in words, for failure listings. */
  expectation(policy: PolicyTerms): string;
}

/** Type a definition while keeping its observed type (the registry erases it once). */
export function defineCheck<O extends object>(definition: CheckDefinition<O>): CheckDefinition<O> {
  return definition;
}
