import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Evidence } from '../checks/observation.js';
import type { FaceOffRow } from '../pod/faceoff.js';
import type { LoadInfo } from '../run/load-info.js';
import type { EngineInfo } from '../runtime/runtime.js';

/**
 * The report document, written once: the JSON Schema every report is validated against
 * (reports/report.schema.json is generated from it by `npm run docs`) and the report's
 * TypeScript types (Static<...>, in model.ts). The evidence, load, engine and face-off
 * parts are declared where they are made; below, the compiler checks that what they
 * make fits the schema.
 */

const closed = <T extends Parameters<typeof Type.Object>[0]>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const count = (description?: string) => Type.Integer({ minimum: 0, ...(description ? { description } : {}) });
/** One of the given strings: a JSON Schema enum (whose errors name the allowed values), typed as their union. */
const literals = <const T extends readonly string[]>(...values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

export const VerdictSchema = literals('pass', 'fail', 'error', 'skip');
const CertifyVerdict = literals('pass', 'fail', 'cannot-certify');

const ProcessRowSchema = Type.Object({
  pid: Type.Integer(),
  ppid: Type.Integer(),
  stat: Type.String(),
  comm: Type.String(),
  exe: Type.Optional(
    Type.String({
      description:
        'file name of the program the process runs (/proc/<pid>/exe), when the observer could read it; comm is what it calls itself',
    }),
  ),
  args: Type.String(),
});

export const EvidenceSchema = closed({
  ps: Type.Optional(Type.Array(Type.Object({ atMs: Type.Number(), processes: Type.Array(ProcessRowSchema) }))),
  logs: Type.Optional(
    Type.Array(
      Type.Object({ stream: literals('stdout', 'stderr'), time: Type.Optional(Type.String()), text: Type.String() }),
    ),
  ),
  exitCode: Type.Optional(nullable(Type.Integer())),
  timings: Type.Optional(Type.Record(Type.String(), Type.Number())),
  events: Type.Optional(
    Type.Array(
      Type.Object({
        action: Type.String(),
        timeNano: Type.Number(),
        attributes: Type.Record(Type.String(), Type.String()),
      }),
    ),
  ),
  state: Type.Optional(
    Type.Object({
      startedAt: Type.Optional(Type.String()),
      finishedAt: Type.Optional(Type.String()),
      exitCode: Type.Optional(Type.Integer()),
      oomKilled: Type.Optional(Type.Boolean()),
    }),
  ),
  notes: Type.Optional(Type.Array(Type.String())),
  shapeable: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'what the verdict rests on that the image under test could have shaped (observed through a sidecar in its own PID namespace; a program judged by the name it gives itself): a required check does not pass on it alone',
    }),
  ),
  readiness: Type.Optional(
    closed(
      {
        how: literals('ready-line', 'ready-port', 'signal-masks'),
        afterMs: Type.Number({ minimum: 0 }),
        snapshots: Type.Optional(count()),
        busy: Type.Optional(
          Type.Boolean({
            description: 'a process was still runnable when the masks were read: the settle span was lengthened',
          }),
        ),
        restedOn: Type.Optional(
          Type.String({
            description:
              'what readiness rested on, in one sentence: the ready line, the port, or the processes whose signal masks stayed unchanged (with the short-lived children left out)',
          }),
        ),
      },
      "how the harness knew the program was ready before acting: its ready line, or PID 1's and the program's signal masks (/proc/<pid>/status) stable across two snapshots",
    ),
  ),
});

export const ResultSchema = closed({
  subject: Type.String({ minLength: 1 }),
  variant: nullable(Type.String()),
  program: nullable(Type.String()),
  check: Type.String({ minLength: 1 }),
  scenario: nullable(Type.String()),
  did: Type.String(),
  verdict: VerdictSchema,
  reason: Type.String(),
  expected: nullable(Type.Record(Type.String(), Type.Unknown())),
  observed: Type.Record(Type.String(), Type.Unknown()),
  evidence: EvidenceSchema,
  required: Type.Optional(
    Type.Boolean({
      description: 'certify: whether the policy requires the check; a failure of one it does not require is a warning',
    }),
  ),
  expectation: Type.Optional(Type.String({ description: 'certify: what the policy expects of the check, in words' })),
  durationMs: Type.Number({ minimum: 0 }),
  figure: Type.Optional(
    Type.String({
      description: "The check's headline figure for this observation (a matrix cell shows its scenarios' together)",
    }),
  ),
  stop: Type.Optional(
    closed(
      { stopDurationMs: Type.Number({ minimum: 0 }), killed: Type.Boolean(), exitCode: nullable(Type.Integer()) },
      "The stop's duration and outcome, for the report's stop chart (checks that stop the container)",
    ),
  ),
  engine: Type.Optional(
    Type.String({ description: 'The engine kind this result ran on (a report merged across engines only).' }),
  ),
});

const EngineSchema = closed({
  kind: literals('docker', 'podman'),
  version: Type.String(),
  apiVersion: Type.Optional(Type.String()),
  endpoint: Type.String(),
  cgroupVersion: Type.Optional(Type.String()),
  runtime: Type.Optional(
    Type.String({
      description:
        'The runtime the containers ran on when it is not the engine itself: "containerd 1.6.20 (CRI) at <socket>"; the engine then built the images.',
    }),
  ),
});

const ShardSchema = (description?: string) =>
  closed({ index: Type.Integer({ minimum: 1 }), total: Type.Integer({ minimum: 1 }) }, description);

export const LoadSchema = closed(
  {
    concurrency: Type.Integer({ minimum: 1 }),
    source: literals('option', 'cores-and-engine-latency'),
    cores: Type.Optional(Type.Integer({ minimum: 1 })),
    engineStartMs: Type.Optional(Type.Number({ minimum: 0 })),
    lowest: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "the fewest containers the run let be in flight at once, when the engine's create-to-start time during the run made it start fewer than concurrency",
      }),
    ),
  },
  'what the run ran with: containers in flight at once, and what that bound was derived from',
);

export const FaceOffRowSchema = closed({
  mechanism: literals('postStart hook', 'init container', 'startup probe'),
  sameContainer: Type.String(),
  scope: Type.String(),
  image: Type.String(),
  runGuarantee: Type.String(),
  onFailure: Type.String(),
  usage: Type.String(),
  count: Type.String(),
  evidence: Type.Array(Type.String()),
});

export const CertifiedImageSchema = closed({
  image: Type.String(),
  verdict: CertifyVerdict,
  summary: Type.String(),
  preflight: Type.Optional(
    closed({
      readyAfterMs: Type.Number(),
      command: Type.Array(Type.String()),
      user: Type.String(),
      stopSignal: Type.String(),
    }),
  ),
  dockerfile: Type.Optional(
    closed({
      path: Type.String(),
      pid1: Type.String(),
      checks: Type.Array(
        closed({
          check: Type.String(),
          predicted: literals('pass', 'fail', 'unknown'),
          why: Type.String(),
          line: nullable(Type.Integer()),
          observed: nullable(VerdictSchema),
          agreement: literals('agree', 'runtime-disagrees', 'runtime-does-better', 'no-prediction', 'not-run'),
          says: Type.String(),
        }),
      ),
      fix: Type.Optional(
        closed({
          summary: Type.String(),
          diff: Type.String(),
          runWithInit: Type.Optional(Type.Boolean()),
          verified: Type.Optional(closed({ image: Type.String(), verdict: CertifyVerdict, summary: Type.String() })),
        }),
      ),
    }),
  ),
});

/** What a report says of each check it ran, so renderers need no check's code. */
export const CheckFaceSchema = closed({
  name: Type.String({ minLength: 1 }),
  description: Type.String(),
  remedy: Type.String({ description: 'How a failure is fixed (the help text of its SARIF rule)' }),
  scenarios: Type.Array(nullable(Type.String()), { description: "The check's scenarios, in report order" }),
});

export const TotalsSchema = closed({
  pass: count(),
  fail: count(),
  error: count(),
  skip: count(),
  warning: Type.Optional(count('certify: failures of checks the policy does not require, counted apart from fail')),
});

export const ReportSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    kind: literals('matrix', 'certify'),
    engine: EngineSchema,
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.String({ format: 'date-time' }),
    graceSeconds: Type.Number({ exclusiveMinimum: 0 }),
    concurrency: Type.Integer({ minimum: 1 }),
    load: Type.Optional(LoadSchema),
    totals: TotalsSchema,
    results: Type.Array(ResultSchema),
    checks: Type.Optional(
      Type.Array(CheckFaceSchema, { description: 'The checks of the battery that ran, in report order' }),
    ),
    image: Type.Optional(Type.String({ description: 'certify: the image certified' })),
    policy: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'certify: the policy applied' })),
    passed: Type.Optional(Type.Boolean({ description: 'certify: whether the image passes the policy' })),
    images: Type.Optional(Type.Array(CertifiedImageSchema, { description: "certify: each image's own answer" })),
    incomplete: Type.Optional(
      closed(
        { reason: Type.String({ minLength: 1 }), planned: count(), ran: count() },
        'The run stopped before every planned scenario ran (the engine stopped answering): why, and how many ran.',
      ),
    ),
    shard: Type.Optional(ShardSchema("A shard's share of the scenarios (harness matrix --shard I/N).")),
    engines: Type.Optional(
      Type.Array(EngineSchema, {
        minItems: 2,
        description: 'A report merged across engines: the engines its results ran on.',
      }),
    ),
    mergedFrom: Type.Optional(
      Type.Array(
        closed({
          file: Type.String(),
          engine: Type.String(),
          results: count(),
          shard: Type.Optional(ShardSchema()),
        }),
        { description: 'A merged report: the reports it was joined from.' },
      ),
    ),
    lifecycle: Type.Optional(
      closed(
        { rows: Type.Array(FaceOffRowSchema) },
        'matrix: postStart hook vs init container vs startup probe, measured from the reference pods',
      ),
    ),
  },
  {
    $id: 'https://harness.invalid/report.schema.json',
    title: 'harness report',
    description: 'Observations of container behaviour: one result per subject x check x scenario.',
    additionalProperties: false,
  },
);

/** The published JSON Schema of a report (reports/report.schema.json), draft-07. */
export function reportJsonSchema(): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...JSON.parse(JSON.stringify(ReportSchema)) };
}

// What the layers below make must fit the schema (a field added there and not here fails to compile).
type Fits<A, B> = A extends B ? true : never;
export const FITS: [
  Fits<Evidence, Static<typeof EvidenceSchema>>,
  Fits<LoadInfo, Static<typeof LoadSchema>>,
  Fits<FaceOffRow, Static<typeof FaceOffRowSchema>>,
  Fits<Pick<EngineInfo, 'kind' | 'version' | 'apiVersion' | 'endpoint' | 'cgroupVersion'>, Static<typeof EngineSchema>>,
] = [true, true, true, true];
