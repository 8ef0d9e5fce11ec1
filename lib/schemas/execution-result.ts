import { z } from 'zod';
import { EXECUTION_STATUSES, STAGE_NAMES, STAGE_OUTCOMES, TERMINAL_STATUSES, TEST_STATUSES } from '../vocabulary';
import { Finding, GateResult } from './findings';

export type { TerminalStatus } from '../vocabulary';

export const ExecutionStatus = z.enum(EXECUTION_STATUSES);
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;
export const StageName = z.enum(STAGE_NAMES);
export type StageName = z.infer<typeof StageName>;
export const StageOutcome = z.enum(STAGE_OUTCOMES);
export type StageOutcome = z.infer<typeof StageOutcome>;

export const Stage = z.object({
  name: StageName,
  outcome: StageOutcome,
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  detail: z.string().optional(),
});
export type Stage = z.infer<typeof Stage>;

/**
 * Which limit ended a process early, if any: the host's wall timer, the output cap, the memory
 * cgroup's OOM killer, or RLIMIT_CPU (`cpu`: a SIGXCPU or SIGKILL exit after the stage's CPU time
 * reached its limit; results recorded before it was reported say only SIGXCPU).
 */
export const LimitExceeded = z.enum(['wall', 'output', 'memory', 'cpu']);

/**
 * A stream kept outside the result: its full text (after the output gate), stored by the host and
 * served by `GET /v1/executions/:id/outputs/:stage/:stream`. `sha256` and `bytes` are of that text
 * as UTF-8.
 */
export const OutputRef = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type OutputRef = z.infer<typeof OutputRef>;

/** One process run inside the sandbox (the program, or its tests). */
export const ProcessResult = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutBytes: z.number().int(),
  stderrBytes: z.number().int(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  /** Wall-clock time from start to exit, measured on the host. */
  wallMs: z.number(),
  /** The same as `wallMs`; kept for clients of the first API version. */
  durationMs: z.number(),
  /** CPU time of every process in the sandbox during this stage, from the cgroup; null if the host cannot read it. */
  cpuMs: z.number().nullable(),
  /** Peak memory of the sandbox during this stage (page cache and tmpfs included), from the cgroup. */
  peakMemoryBytes: z.number().nullable(),
  /** The kernel's OOM killer killed a process of this stage. */
  oomKilled: z.boolean(),
  /**
   * The OOM kill came from the host running out of memory: the sandbox never reached its own limit.
   * Absent otherwise (and in results from before it was told apart).
   */
  hostOutOfMemory: z.boolean().optional(),
  limitExceeded: LimitExceeded.nullable(),
  /** Processes the stage left running (daemons, background jobs) and the host killed when it ended. */
  leftoverProcessesKilled: z.number().int(),
  /** What the output gate found in stdout and stderr (already redacted in them). */
  outputFindings: z.array(Finding),
  /** A match whose policy rule says block. */
  outputBlocked: z.boolean(),
  /**
   * Set when the stream was longer than the preview: `stdout` (or `stderr`) then holds only its
   * first bytes, and the whole is fetched by reference. Null when the text above is all of it;
   * absent in results recorded before outputs were stored.
   */
  stdoutRef: OutputRef.nullable().optional(),
  stderrRef: OutputRef.nullable().optional(),
  /**
   * The host's comparison of the whole stdout with the expected output, when it was given one;
   * absent otherwise (the workflow then compares what the result holds).
   */
  expectedStdoutMatched: z.boolean().nullable().optional(),
});
export type ProcessResult = z.infer<typeof ProcessResult>;

/** One case of a compile-once, run-many submission. */
export const CaseResult = ProcessResult.extend({
  index: z.number().int(),
  status: z.enum(TERMINAL_STATUSES),
  /** Null when the case gave no expected output. */
  expectedStdoutMatched: z.boolean().nullable(),
});
export type CaseResult = z.infer<typeof CaseResult>;

export const TestCaseResult = z.object({
  name: z.string(),
  status: z.enum(TEST_STATUSES),
  durationMs: z.number().nullable(),
  message: z.string().nullable(),
});
export type TestCaseResult = z.infer<typeof TestCaseResult>;

/** The test stage's results, one per test, parsed from the runner's JUnit XML, TAP or JSON. */
export const TestReport = z.object({
  framework: z.string(),
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  errors: z.number().int(),
  skipped: z.number().int(),
  /** Every test, up to a bound; `total` counts them all. */
  cases: z.array(TestCaseResult),
  /** Why no per-test results could be read, when none could. */
  problem: z.string().nullable(),
});
export type TestReport = z.infer<typeof TestReport>;

export const Digest = z.object({ name: z.string(), sha256: z.string(), bytes: z.number().int() });
export type Digest = z.infer<typeof Digest>;

/** What the scan stage recorded: a digest of every input file, output stream and file the program wrote. */
export const ScanManifest = z.object({
  files: z.array(Digest),
  outputs: z.array(Digest),
  artifacts: z.array(Digest),
  /** The workspace was larger than the scan reads; the artifacts list is incomplete. */
  artifactsTruncated: z.boolean(),
});
export type ScanManifest = z.infer<typeof ScanManifest>;

/** The file types whose content comes back with a result: by the file's extension, confirmed by its bytes. */
export const ARTIFACT_MIME_TYPES = [
  'image/png',
  'image/jpeg',
  'image/svg+xml',
  'application/pdf',
  'text/html',
  'application/json',
  'text/csv',
] as const;
export const ArtifactMimeType = z.enum(ARTIFACT_MIME_TYPES);
export type ArtifactMimeType = z.infer<typeof ArtifactMimeType>;

/**
 * A file of a known type the program wrote (or a chart its runtime saved for it), returned with
 * the result. Its content is `data` when it fits the result's inline budget, and otherwise served by
 * `GET /v1/executions/:id/artifacts/:sha256`; the output gate passed it either way. Every artifact
 * is also in the scan manifest, whose digests the seal covers.
 */
export const Artifact = z.object({
  /** Its path in the workspace; a saved chart's is `.airlock/figures/figure-N.png`. */
  name: z.string(),
  mimeType: ArtifactMimeType,
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** `figure`: a chart the program showed or left open, saved by the runtime; `file`: a file the program wrote. */
  origin: z.enum(['file', 'figure']),
  /** The content, base64; null when it is served by reference (or withheld). */
  data: z.string().nullable(),
  /** Why the content is not returned, neither inline nor by reference; null when it is. */
  withheld: z.string().nullable(),
});
export type Artifact = z.infer<typeof Artifact>;

export const ImageRef = z.object({
  tag: z.string(),
  id: z.string(),
  definitionSha256: z.string(),
  runtimeVersion: z.string(),
  /** A template's image: the template and its spec's sha256, from the labels its build set. */
  template: z.object({ id: z.string(), sha256: z.string() }).optional(),
});
export type ImageRef = z.infer<typeof ImageRef>;

/** The key that approved or rejected, as the API verified it. */
export const Approver = z.object({ keyId: z.string(), tenant: z.string(), label: z.string() });
export type Approver = z.infer<typeof Approver>;

/** A reviewer's decision on an execution waiting in `awaiting_approval`: the decideApproval update's argument. */
export interface ApprovalDecision {
  decision: 'approve' | 'reject';
  comment?: string;
  /** The key that decided, as the API verified it: recorded in history with the decision. */
  approver?: Approver;
  /** Histories from before approvers: free text naming the reviewer, and the key id. */
  reviewer?: string;
  keyId?: string;
}

export const ApprovalDecisionRecord = z.object({
  decision: z.enum(['approve', 'reject']),
  approver: Approver,
  comment: z.string().nullable(),
  decidedAt: z.string(),
});
export type ApprovalDecisionRecord = z.infer<typeof ApprovalDecisionRecord>;

export const Approval = z.object({
  /** Why approval was asked for. */
  reason: z.string(),
  requestedAt: z.string(),
  /** Distinct approving keys the policy asks for (none of them the submitting key); absent before approvers: 1. */
  required: z.number().int().optional(),
  /** Every decision so far, in order: one rejection rejects, `required` approvals approve. Absent before approvers. */
  decisions: z.array(ApprovalDecisionRecord).optional(),
  decision: z.enum(['approved', 'rejected', 'timed_out']).nullable(),
  /** The deciding key's label (or id), from the key store: never text the caller chose. */
  reviewer: z.string().nullable(),
  /** The API key of the deciding decision. */
  reviewerKeyId: z.string().nullable(),
  comment: z.string().nullable(),
  decidedAt: z.string().nullable(),
});
export type Approval = z.infer<typeof Approval>;

/** The execution's record, sealed: each part's digest, signed with the deployment's key (lib/node/audit/seal.ts). */
export const Seal = z.object({
  version: z.literal(1),
  executionId: z.string(),
  /** [part, sha256] in the order the verifier checks them. */
  fields: z.array(z.tuple([z.string(), z.string().regex(/^[0-9a-f]{64}$/)])),
  keyId: z.string(),
  sealedAt: z.string(),
  algorithm: z.literal('ed25519'),
  /** sha256 of what the signature covers. */
  digest: z.string(),
  signature: z.string(),
});
export type Seal = z.infer<typeof Seal>;

export const ExecutionError = z.object({ type: z.string(), message: z.string() });
export type ExecutionError = z.infer<typeof ExecutionError>;

export const ExecutionResult = z.object({
  id: z.string(),
  status: ExecutionStatus,
  language: z.string(),
  tenant: z.string(),
  policy: z.object({ name: z.string(), sha256: z.string() }).nullable(),
  host: z.string().nullable(),
  image: ImageRef.nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  stages: z.array(Stage),
  /** Every gate's verdict and findings: pre-run (secrets, imports, static analysis) and the output gate. */
  gates: z.array(GateResult),
  approval: Approval.nullable(),
  compile: ProcessResult.nullable(),
  run: ProcessResult.nullable(),
  /** Compile once, run many: one result per case, in order. */
  cases: z.array(CaseResult).nullable(),
  tests: ProcessResult.nullable(),
  testReport: TestReport.nullable(),
  scan: ScanManifest.nullable(),
  /** The typed files among the scan's artifacts, with their content; absent in results from before them. */
  artifacts: z.array(Artifact).optional(),
  /** Set with `time_limit_exceeded`: which clock ran out. */
  timeLimit: z.enum(['wall', 'cpu', 'deadline']).nullable(),
  error: ExecutionError.nullable(),
  /** Absent in results recorded before executions were sealed. */
  seal: Seal.optional(),
});
export type ExecutionResult = z.infer<typeof ExecutionResult>;
