import { z } from 'zod';
import { Command, EnvName, RelativePath, SourceFile, TemplateId, Text, stringRule } from './common';
import { LanguageName, MAX_FILES, MAX_STDIN_CHARS, PolicyName, RESERVED_DIR } from './execution-request';
import { Artifact, ExecutionStatus, ImageRef, ProcessResult } from './execution-result';
import { RuntimeVersionName } from './runtime';
import { GateResult } from './findings';
import { directoryProblem } from '../relative-path';
import { ID_PATTERN, ID_RULE } from '../rules';
import { STEP_KINDS } from '../vocabulary';

/** Bytes of one file written or read in one step: the content travels through workflow history. */
export const MAX_SANDBOX_FILE_BYTES = 1_048_576;
/** The longest a step may ask to run; the policy may set less. */
export const MAX_STEP_TIMEOUT_SECONDS = 3600;
export { RECENT_STEPS, STEP_KINDS } from '../vocabulary';

export const SANDBOX_STATUSES = ['starting', 'ready', 'busy', 'closing', 'closed', 'lost', 'failed'] as const;
export const SandboxStatus = z.enum(SANDBOX_STATUSES);
export type SandboxStatus = z.infer<typeof SandboxStatus>;

export const SANDBOX_END_REASONS = [
  'closed',
  'idle_timeout',
  'max_lifetime',
  'host_lost',
  'container_exited',
  'rejected',
  'provision_failed',
] as const;
export const SandboxEndReason = z.enum(SANDBOX_END_REASONS);
export type SandboxEndReason = z.infer<typeof SandboxEndReason>;

/** Labels the client keeps on a sandbox (E2B's `metadata`): returned as given, and filtered on in lists. */
export const SandboxMetadata = z
  .record(z.string().min(1).max(128), z.string().max(1024))
  .refine((m) => Object.keys(m).length <= 32, 'must have at most 32 entries');

const Env = z
  .record(EnvName, Text.pipe(z.string().max(32_768)))
  .refine((e) => Object.keys(e).length <= 64, 'must have at most 64 variables');

export const SandboxCreateRequest = z
  .strictObject({
    language: LanguageName,
    /** One of the language's versions in `GET /v1/runtimes`; default its newest. */
    version: RuntimeVersionName.optional(),
    /** One of the tenant's ready templates of this language: its image instead of the runtime's. */
    template: TemplateId.optional(),
    policy: PolicyName.optional(),
    idleTimeoutSeconds: z.number().int().min(10).max(3600).default(300),
    maxLifetimeSeconds: z.number().int().min(60).max(86_400).default(3600),
    files: z
      .array(SourceFile)
      .min(1, 'must not be empty')
      .max(MAX_FILES, `must have at most ${MAX_FILES} files`)
      .optional(),
    env: Env.optional(),
    metadata: SandboxMetadata.optional(),
  })
  .superRefine((req, ctx) => {
    const seen = new Set<string>();
    (req.files ?? []).forEach((f, i) => {
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: 'is a duplicate' });
      if (f.path === RESERVED_DIR || f.path.startsWith(`${RESERVED_DIR}/`)) {
        ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `${RESERVED_DIR}/ is reserved` });
      }
      seen.add(f.path);
    });
  });
export type SandboxCreateRequest = z.input<typeof SandboxCreateRequest>;
export type ParsedSandboxCreateRequest = z.output<typeof SandboxCreateRequest>;

export const SandboxExecRequest = z
  .strictObject({
    code: Text.pipe(z.string().max(MAX_STDIN_CHARS)).optional(),
    command: Command.optional(),
    stdin: Text.pipe(z.string().max(MAX_STDIN_CHARS)).optional(),
    timeoutSeconds: z.number().positive().max(MAX_STEP_TIMEOUT_SECONDS).optional(),
    env: Env.optional(),
  })
  .superRefine((req, ctx) => {
    if ((req.code === undefined) === (req.command === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'give exactly one of code or command' });
    }
  });
export type SandboxExecRequest = z.input<typeof SandboxExecRequest>;

/** The `Idempotency-Key` header, which also names the step. */
export const IdempotencyKey = z.string().regex(ID_PATTERN, `must be ${ID_RULE}`);

export const SandboxPath = RelativePath;
/** A directory to list: the workspace itself is `.`. */
export const SandboxDirectory = stringRule(directoryProblem);

export const StepKind = z.enum(STEP_KINDS);
export type StepKind = z.infer<typeof StepKind>;

export const FileEntry = z.object({
  name: z.string(),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  bytes: z.number().int(),
  modifiedAt: z.string(),
  /** Permission bits (0o644 is 420); absent in listings from before they were kept. */
  mode: z.number().int().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
  /** Where a symlink points, as written. */
  symlinkTarget: z.string().optional(),
});
export type FileEntry = z.infer<typeof FileEntry>;

export const StepError = z.object({ type: z.string(), message: z.string() });

/** What every step answers; the kind-specific part is in `process`, `file` or `entries`. */
export const StepResult = z.object({
  stepId: z.string(),
  sandboxId: z.string(),
  index: z.number().int(),
  kind: StepKind,
  status: ExecutionStatus,
  startedAt: z.string(),
  durationMs: z.number().int(),
  process: ProcessResult.nullable(),
  gates: z.array(GateResult),
  /** write_file and read_file: the file; read_file carries its content as base64. */
  file: z
    .object({ path: z.string(), bytes: z.number().int(), sha256: z.string(), contentBase64: z.string().optional() })
    .nullable(),
  entries: z.array(FileEntry).nullable(),
  error: StepError.nullable(),
  /**
   * exec: the typed files the step wrote or changed (charts, tables), and the figures it showed, as
   * an execution returns them; absent in steps from before them.
   */
  artifacts: z.array(Artifact).optional(),
});
export type StepResult = z.infer<typeof StepResult>;

export const StepSummary = StepResult.pick({
  stepId: true,
  index: true,
  kind: true,
  status: true,
  startedAt: true,
  durationMs: true,
});
export type StepSummary = z.infer<typeof StepSummary>;

export const SandboxEnd = z.object({ reason: SandboxEndReason, message: z.string(), at: z.string() });
export type SandboxEnd = z.infer<typeof SandboxEnd>;

export const SandboxInfo = z.object({
  id: z.string(),
  tenant: z.string(),
  language: z.string(),
  policy: z.string(),
  status: SandboxStatus,
  createdAt: z.string(),
  lastActivityAt: z.string(),
  idleTimeoutSeconds: z.number().int(),
  maxLifetimeSeconds: z.number().int(),
  idleExpiresAt: z.string().nullable(),
  expiresAt: z.string(),
  host: z.string().nullable(),
  image: ImageRef.nullable(),
  steps: z.number().int(),
  recentSteps: z.array(StepSummary),
  end: SandboxEnd.nullable(),
  /** As given at creation; absent when none was. */
  metadata: z.record(z.string(), z.string()).optional(),
});
export type SandboxInfo = z.infer<typeof SandboxInfo>;

/** Renames a file or directory in the workspace, making the destination's parents. */
export const SandboxMoveRequest = z.strictObject({ path: SandboxPath, destination: SandboxPath });
export type SandboxMoveRequest = z.infer<typeof SandboxMoveRequest>;

/** A new idle timeout, counted from now (E2B's `setTimeout`); never past the sandbox's maximum lifetime. */
export const SandboxTimeoutRequest = z.strictObject({
  idleTimeoutSeconds: z.number().int().min(10).max(86_400),
});
export type SandboxTimeoutRequest = z.infer<typeof SandboxTimeoutRequest>;

export const SandboxListItem = SandboxInfo.pick({
  id: true,
  language: true,
  policy: true,
  status: true,
  createdAt: true,
});
export type SandboxListItem = z.infer<typeof SandboxListItem>;
