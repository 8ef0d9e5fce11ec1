import type { FieldIssue } from '../../lib/schemas/issues';
import type { SandboxInfo } from '../../lib/schemas/sandbox';

export type { FieldIssue };

interface ErrorFields {
  status: number;
  code: string;
  message: string;
  field?: string | null;
  issues?: FieldIssue[];
  requestId?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * Every error the SDK throws. `status` and `code` come from the API's error body
 * (`{"error": {"code", "message", "field", "issues"}}`); `status` is 0 when no HTTP answer was involved.
 */
export class AirlockError extends Error {
  /** HTTP status of the answer; 0 for connection failures and cancellation. */
  readonly status: number;
  /** Stable machine-readable code: `invalid_request`, `not_found`, `sandbox_ended`, `unavailable`, ... */
  readonly code: string;
  /** The request field at fault (`files.0.path`, `query.status`, `(body)`), when there is one. */
  readonly field: string | null;
  /** Every field at fault, for validation errors. */
  readonly issues: FieldIssue[];
  /** The server's request id, when it sent one (`X-Request-Id`). */
  readonly requestId: string | undefined;
  /** What a `Retry-After` header asked for, in milliseconds (429, 503). */
  readonly retryAfterMs: number | undefined;

  constructor(fields: ErrorFields) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.status = fields.status;
    this.code = fields.code;
    this.field = fields.field ?? fields.issues?.[0]?.field ?? null;
    this.issues = fields.issues ?? [];
    this.requestId = fields.requestId;
    this.retryAfterMs = fields.retryAfterMs;
  }
}

/**
 * The request was refused as malformed: 400 `invalid_request`, `policy_violation`, `invalid_json`,
 * 413 `payload_too_large`, 415. The SDK also throws it before sending anything when a body fails the
 * shared schemas; those have status 400 too (so one handler covers both) and no `requestId`.
 */
export class AirlockValidationError extends AirlockError {}

/** 401: the API key is missing, unknown, malformed or revoked. */
export class AirlockAuthenticationError extends AirlockError {}

/** 404: no such execution, sandbox, step, file or route (another tenant's resources answer 404 too). */
export class AirlockNotFoundError extends AirlockError {}

/** 409: the resource is in the wrong state: `sandbox_ended`, `already_finished`, `not_awaiting_approval`. */
export class AirlockConflictError extends AirlockError {}

/** 429: too many requests; retried automatically, thrown once the retries run out. */
export class AirlockRateLimitError extends AirlockError {}

/** 5xx, including 503 `unavailable` (the orchestration service cannot be reached). */
export class AirlockServerError extends AirlockError {}

/** No HTTP answer: connection refused or reset, DNS failure, or a stream that broke off. */
export class AirlockConnectionError extends AirlockError {
  constructor(message: string, cause?: unknown, code = 'connection_error') {
    super({ status: 0, code, message, cause });
  }
}

/** One attempt took longer than `timeoutMs`. */
export class AirlockTimeoutError extends AirlockConnectionError {
  constructor(message: string) {
    super(message, undefined, 'timeout');
  }
}

/**
 * The caller's `AbortSignal` fired. Its `name` is `AbortError`, as for `fetch`, so code that checks
 * `err.name === 'AbortError'` keeps working; the signal's reason is the `cause`.
 */
export class AirlockAbortError extends AirlockError {
  constructor(reason?: unknown) {
    super({ status: 0, code: 'aborted', message: 'the operation was aborted', cause: reason });
    this.name = 'AbortError';
  }
}

/** `POST /v1/sandboxes` answered, but the sandbox never became ready (`status: failed`). */
export class AirlockSandboxFailedError extends AirlockError {
  /** The sandbox as the server described it; `info.end` says why. */
  readonly sandbox: SandboxInfo;
  constructor(sandbox: SandboxInfo, status: number) {
    const end = sandbox.end;
    super({
      status,
      code: 'sandbox_failed',
      message: `sandbox ${sandbox.id} failed to start: ${end ? `${end.reason}: ${end.message}` : 'no reason given'}`,
    });
    this.sandbox = sandbox;
  }
}

/** Statuses worth retrying: the request did not run, or running it again is safe. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);

/** Builds the typed error for a non-2xx answer from its (possibly non-JSON) body. */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: { get(name: string): string | null },
  retryAfterMs?: number,
): AirlockError {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const fields: ErrorFields = {
    status,
    code: str(error?.code) ?? defaultCode(status),
    message: str(error?.message) ?? `HTTP ${status}`,
    field: str(error?.field) ?? null,
    issues: Array.isArray(error?.issues) ? (error.issues as FieldIssue[]) : [],
    requestId: headers.get('x-request-id') ?? undefined,
    retryAfterMs,
  };
  if (status === 400 || status === 413 || status === 415 || status === 422) return new AirlockValidationError(fields);
  if (status === 401) return new AirlockAuthenticationError(fields);
  if (status === 404) return new AirlockNotFoundError(fields);
  if (status === 409) return new AirlockConflictError(fields);
  if (status === 429) return new AirlockRateLimitError(fields);
  if (status >= 500) return new AirlockServerError(fields);
  return new AirlockError(fields);
}

function defaultCode(status: number): string {
  if (status === 404) return 'not_found';
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return 'http_error';
}

/** Whether an error is worth another attempt of a request that is safe to repeat. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AirlockAbortError) return false;
  if (err instanceof AirlockConnectionError) return true;
  return err instanceof AirlockError && RETRYABLE_STATUSES.has(err.status);
}
