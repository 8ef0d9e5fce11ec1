import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { HttpError, REQUEST_ABORTED } from './errors';

/** JSON bodies up to `limit` bytes, refused unless they are valid UTF-8. */
export function jsonBody(limit: number): RequestHandler {
  return withBodyErrors(
    express.json({
      limit,
      // Decoding would quietly turn invalid bytes into U+FFFD, and run code nobody sent.
      verify: (_req, _res, buf) => {
        if (!isUtf8(buf)) throw HttpError.invalid('(body)', 'is not valid UTF-8');
      },
    }),
  );
}

/**
 * A body-parser middleware whose refusals are 4xx answers about `(body)`: body-parser marks most of
 * them with a `type`, and passes on a decompression failure (zlib, brotli) as a bare status 400.
 */
export function withBodyErrors(parser: RequestHandler): RequestHandler {
  return (req, res, next) =>
    parser(req, res, (err?: unknown) => {
      next(err === undefined ? undefined : bodyError(err, req.get('content-encoding')));
    });
}

function bodyError(err: unknown, contentEncoding: string | undefined): unknown {
  if (err instanceof HttpError) return err;
  const { type, status, message, limit } = err as { type?: string; status?: number; message?: string; limit?: number };
  switch (type) {
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', `request body is over the ${limit} byte limit`);
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', `request body is not valid JSON: ${message}`, [
        { field: '(body)', message: 'is not valid JSON' },
      ]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_encoding', message ?? 'unsupported encoding');
    case 'request.aborted':
      return new HttpError(400, REQUEST_ABORTED, '(body): the client stopped sending it', [
        { field: '(body)', message: 'the client stopped sending it' },
      ]);
  }
  if (status === undefined || status < 400 || status >= 500) return err;
  const encoding = contentEncoding?.trim().toLowerCase();
  return encoding && encoding !== 'identity'
    ? HttpError.invalid('(body)', `is not valid ${encoding} data (${message})`)
    : HttpError.invalid('(body)', `could not be read (${message})`);
}
