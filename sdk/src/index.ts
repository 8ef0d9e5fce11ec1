export {
  Airlock,
  DEFAULT_BASE_URL,
  baseUrlFromEnv,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  type AirlockOptions,
} from './client';
export {
  Execution,
  Executions,
  type ExecutionListFilters,
  type ExecutionPage,
  type ExecutionReport,
  type ExecutionSummary,
  type OutputStage,
  type OutputStream,
} from './executions';
export {
  Sandbox,
  SandboxFiles,
  Sandboxes,
  Step,
  type SandboxListFilters,
  type SandboxPage,
  type StepOptions,
  type WrittenFile,
} from './sandboxes';
export { Audit } from './audit';
export { AirlockTemplateBuildError, Templates, type BuildOptions, type TemplatePage } from './templates';
export { type EventsOptions } from './events';
export { newIdempotencyKey, type MutationOptions, type RequestOptions } from './http';
export {
  AirlockAbortError,
  AirlockAuthenticationError,
  AirlockConflictError,
  AirlockConnectionError,
  AirlockError,
  AirlockNotFoundError,
  AirlockRateLimitError,
  AirlockSandboxFailedError,
  AirlockServerError,
  AirlockTimeoutError,
  AirlockValidationError,
  type FieldIssue,
} from './errors';

// The request and result types are the server's own zod schemas, shared rather than copied.
export type { DecisionRequest, DecisionResponse } from '../../lib/schemas/approval';
export type { PublicAuditKey } from '../../lib/schemas/audit';
export type { Command, SourceFile } from '../../lib/schemas/common';
export type { LiveEvent, LiveEventType } from '../../lib/schemas/events';
export type { ExecutionRequest, TestCase, TestsRequest } from '../../lib/schemas/execution-request';
export type {
  Artifact,
  ArtifactMimeType,
  ExecutionResult,
  ExecutionStatus,
  OutputRef,
  ProcessResult,
  Stage,
  TerminalStatus,
  TestReport,
} from '../../lib/schemas/execution-result';
export type { Finding, GateResult } from '../../lib/schemas/findings';
export type { RequestedLimits } from '../../lib/schemas/limits';
export type { RuntimeSummary } from '../../lib/schemas/runtime';
export type { ParsedTemplateSpec, TemplateInfo, TemplateSpec, TemplateStatus } from '../../lib/schemas/template';
export type {
  FileEntry,
  SandboxCreateRequest,
  SandboxEnd,
  SandboxExecRequest,
  SandboxInfo,
  SandboxListItem,
  SandboxStatus,
  StepKind,
  StepResult,
  StepSummary,
} from '../../lib/schemas/sandbox';
export { isTerminal } from '../../lib/vocabulary';
