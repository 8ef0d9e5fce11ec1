/**
 * The part of the Airlock SDK the MCP tools use. The tools take this interface rather than the
 * SDK's `Airlock` class so that they can be tested with a fake, and so that this module depends on
 * the SDK's shape only, never on its code.
 */
import type { ExecutionRequest } from '../lib/schemas/execution-request';
import type { Artifact, ExecutionResult } from '../lib/schemas/execution-result';
import type { RuntimeSummary } from '../lib/schemas/runtime';
import type { FileEntry, SandboxInfo, StepResult } from '../lib/schemas/sandbox';

export interface CallOptions {
  signal?: AbortSignal;
}

export interface StepOptions extends CallOptions {
  stdin?: string;
  timeoutSeconds?: number;
  idempotencyKey?: string;
}

export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface SandboxFilesLike {
  write(path: string, data: string | Uint8Array, opts?: CallOptions): Promise<WrittenFile>;
  read(path: string, opts?: CallOptions): Promise<Uint8Array>;
  list(dir?: string, opts?: CallOptions): Promise<FileEntry[]>;
}

export interface SandboxLike {
  readonly id: string;
  /** The sandbox as it was when the handle was made. */
  readonly info: SandboxInfo;
  run(code: string, opts?: StepOptions): Promise<StepResult>;
  exec(command: string | string[], opts?: StepOptions): Promise<StepResult>;
  /** A step's typed artifact's bytes; without it, images are described in text only. */
  artifact?(step: Pick<StepResult, 'stepId'>, artifact: Artifact, opts?: CallOptions): Promise<Uint8Array>;
  readonly files: SandboxFilesLike;
  close(opts?: CallOptions): Promise<SandboxInfo>;
}

export interface SandboxCreateOptions {
  language: string;
  policy?: string;
  idleTimeoutSeconds?: number;
  maxLifetimeSeconds?: number;
}

export interface AirlockLike {
  executions: {
    run(request: ExecutionRequest, opts?: CallOptions): Promise<ExecutionResult>;
    /** Optional: without it, only images inline in the result are shown. */
    artifact?(executionId: string, artifact: Artifact, opts?: CallOptions): Promise<Uint8Array>;
  };
  sandboxes: {
    create(request: SandboxCreateOptions, opts?: CallOptions): Promise<SandboxLike>;
    get(id: string, opts?: CallOptions): Promise<SandboxLike>;
  };
  /** Optional: without it the server offers no `airlock://runtimes` resource. */
  runtimes?: { list(opts?: CallOptions): Promise<RuntimeSummary[]> };
}

/** An error answer of the Airlock API, as the SDK's `AirlockError` carries it. */
export interface ApiErrorLike {
  status: number;
  code: string;
  message: string;
  field?: string;
  issues?: Array<{ field: string; message: string }>;
}

/**
 * Recognises the SDK's `AirlockError` by its shape: importing the class would tie the tools (and
 * their tests) to the SDK's code, and errors of the same shape from elsewhere read the same.
 */
export function isApiError(err: unknown): err is Error & ApiErrorLike {
  if (!(err instanceof Error)) return false;
  const e = err as Error & Partial<ApiErrorLike>;
  return typeof e.status === 'number' && typeof e.code === 'string';
}
