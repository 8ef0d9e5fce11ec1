import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ZodError } from 'zod';
import { fieldIssues, type FieldIssue } from '../lib/schemas/issues';
import type { Logger } from '../lib/logger';

/** An error with an HTTP status and a stable code; its body names the field at fault where there is one. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }

  static invalid(field: string, message: string): HttpError {
    return new HttpError(400, 'invalid_request', `${field}: ${message}`, [{ field, message }]);
  }

  static fromZod(err: ZodError, prefix = ''): HttpError {
    const issues = fieldIssues(err, prefix);
    const first = issues[0]!;
    return new HttpError(400, 'invalid_request', `${first.field}: ${first.message}`, issues);
  }

  static notFound(what: string): HttpError {
    return new HttpError(404, 'not_found', `${what} not found`);
  }
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

/** Client mistakes become 4xx with a reason; only our own faults are 5xx. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) log.error({ err, path: req.path }, 'request failed');
    const body: Record<string, unknown> = { code: httpError.code, message: httpError.message };
    if (httpError.issues.length > 0) {
      body.field = httpError.issues[0]!.field;
      body.issues = httpError.issues;
    }
    res.status(httpError.status).json({ error: body });
  };
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  // body-parser wraps what its `verify` hook throws.
  const wrapped = (err as { cause?: unknown }).cause ?? (err as { originalError?: unknown }).originalError;
  if (wrapped instanceof HttpError) return wrapped;
  const bodyParserType = (err as { type?: string }).type;
  if (bodyParserType === 'entity.too.large') {
    const limit = (err as { limit?: number }).limit;
    return new HttpError(
      413,
      'payload_too_large',
      `request body is over the ${limit ?? ''} byte limit`.replace('  ', ' '),
    );
  }
  if (bodyParserType === 'entity.parse.failed') {
    return new HttpError(400, 'invalid_json', `request body is not valid JSON: ${(err as Error).message}`, [
      { field: '(body)', message: 'is not valid JSON' },
    ]);
  }
  if (bodyParserType === 'encoding.unsupported' || bodyParserType === 'charset.unsupported') {
    return new HttpError(415, 'unsupported_encoding', (err as Error).message);
  }
  if (isTemporalUnavailable(err)) {
    return new HttpError(503, 'unavailable', 'the orchestration service is unavailable; retry shortly');
  }
  return new HttpError(500, 'internal', 'internal error');
}

function isTemporalUnavailable(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  const code = (err as { code?: number }).code;
  // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4).
  return name === 'ServiceError' || code === 14 || code === 4;
}
