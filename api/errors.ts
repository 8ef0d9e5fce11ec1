import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { ZodError } from 'zod';
import { fieldIssues, type FieldIssue } from '../lib/schemas/issues';
import type { Logger } from '../lib/node/logger';
import { undecodableParameterField } from './path-parameters';

/** An error with an HTTP status and a stable code; its body names the field at fault where there is one. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    /** More of the answer, beside the code and message (what a batch started, say). */
    readonly details: Record<string, unknown> = {},
    /** Response headers that go with it (`Retry-After`, `RateLimit-*`). */
    readonly headers: Record<string, string> = {},
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

/** The code of a request whose body the client stopped sending: its own doing, not a server fault. */
export const REQUEST_ABORTED = 'request_aborted';

/** Client mistakes become 4xx with a reason; only our own faults are 5xx. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const httpError = toHttpError(err, req);
    if (httpError.code === REQUEST_ABORTED) log.debug({ path: req.path }, 'the client stopped sending its request');
    else if (httpError.status >= 500) log.error({ err, path: req.path }, 'request failed');
    const body: Record<string, unknown> = { ...httpError.details, code: httpError.code, message: httpError.message };
    if (httpError.issues.length > 0) {
      body.field = httpError.issues[0]!.field;
      body.issues = httpError.issues;
    }
    res.set(httpError.headers).status(httpError.status).json({ error: body });
  };
}

function toHttpError(err: unknown, req: Request): HttpError {
  if (err instanceof HttpError) return err;
  // The router could not percent-decode a path parameter.
  if (err instanceof URIError && clientErrorStatus(err) === 400) {
    return HttpError.invalid(undecodableParameterField(req), 'is not valid percent-encoded UTF-8');
  }
  // Anything else express or its parsers refuse with a 4xx (http-errors marks those `expose`) is the
  // client's mistake, with its reason.
  const status = clientErrorStatus(err);
  if (status !== undefined && (err as { expose?: unknown }).expose === true) {
    const code = (STATUS_CODES[status] ?? 'client error').toLowerCase().replace(/\W+/g, '_');
    return new HttpError(status, code, (err as Error).message);
  }
  if (isTemporalUnavailable(err)) {
    return new HttpError(
      503,
      'unavailable',
      'the orchestration service is unavailable; retry shortly',
      [],
      {},
      {
        'Retry-After': '1',
      },
    );
  }
  // gRPC RESOURCE_EXHAUSTED (8): a server limit, such as updates in flight on one workflow.
  if ((err as { code?: number }).code === 8) {
    return new HttpError(
      503,
      'busy',
      'the orchestration service is at a limit; retry shortly',
      [],
      {},
      {
        'Retry-After': '1',
      },
    );
  }
  return new HttpError(500, 'internal', 'internal error');
}

/** The 4xx status an error from express or its middleware carries (http-errors style), if any. */
function clientErrorStatus(err: unknown): number | undefined {
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && value >= 400 && value < 500 ? value : undefined;
}

function isTemporalUnavailable(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  const code = (err as { code?: number }).code;
  // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4).
  return name === 'ServiceError' || code === 14 || code === 4;
}
