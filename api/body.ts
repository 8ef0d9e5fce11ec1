import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { HttpError, REQUEST_ABORTED } from './errors';

/** Largest JSON request body; workflow inputs must stay under Temporal's 2 MB payload limit. */
export const BODY_LIMIT_BYTES = 1_572_864;

/**
 * JSON bodies up to `limit` bytes, refused unless they are valid UTF-8. Each router takes it after
 * any route whose body is not JSON (a file upload's is the file), so it never eats such a body.
 */
export function jsonBody(limit = BODY_LIMIT_BYTES): RequestHandler {
  return withBodyErrors(
    express.json({
      limit,
      // Decoding would quietly turn invalid bytes into U+FFFD, and run code nobody sent.
      verify: (_req, _res, buf) => {
        if (!isUtf8(buf)) throw invalidUtf8(buf);
      },
    }),
  );
}

const SEND_BASE64 = 'send binary content as base64';

/**
 * The refusal of a body that is not UTF-8. It names the JSON field whose string holds the first
 * invalid bytes where the rest of the body is sound JSON, since that is where the caller's mistake
 * is (binary file content sent as text); otherwise it names `(body)` and the offset.
 */
function invalidUtf8(buf: Buffer): HttpError {
  const invalid = firstInvalidSequence(buf);
  if (!invalid) return HttpError.invalid('(body)', `is not valid UTF-8 (${SEND_BASE64})`);
  const at = `invalid bytes at offset ${invalid.byte} of the body`;
  const field = fieldHoldingOffset(invalid.text, invalid.char);
  return field
    ? HttpError.invalid(field, `must be valid UTF-8 (${at}; ${SEND_BASE64})`)
    : HttpError.invalid('(body)', `is not valid UTF-8 (${at}; ${SEND_BASE64})`);
}

interface InvalidSequence {
  /** The body decoded leniently: each invalid sequence became U+FFFD. */
  text: string;
  /** Where the first invalid sequence starts in the body's bytes, and in `text`. */
  byte: number;
  char: number;
}

function firstInvalidSequence(buf: Buffer): InvalidSequence | undefined {
  const text = buf.toString('utf8');
  let byte = 0;
  let from = 0;
  for (let char = text.indexOf('\uFFFD'); char !== -1; char = text.indexOf('\uFFFD', char + 1)) {
    // Everything before `char` decoded from valid UTF-8, so it encodes back to the same bytes.
    byte += Buffer.byteLength(text.slice(from, char));
    // A U+FFFD the client really sent is the bytes EF BF BD; any other is where decoding failed.
    if (buf[byte] !== 0xef || buf[byte + 1] !== 0xbf || buf[byte + 2] !== 0xbd) return { text, byte, char };
    byte += 3;
    from = char + 1;
  }
  return undefined;
}

type Frame = { kind: 'object'; key: string; atKey: boolean } | { kind: 'array'; index: number };

/**
 * The dotted path (as in every other field error) of the string value that holds `offset`, or
 * undefined where the text is not JSON, or `offset` is outside a string value or in a property name.
 * The scan can be this simple because JSON.parse vouched for the text first.
 */
function fieldHoldingOffset(text: string, offset: number): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  const frames: Frame[] = [];
  for (let i = 0; i < offset; i++) {
    const top = frames.at(-1);
    switch (text[i]) {
      case '"': {
        const end = stringEnd(text, i);
        if (offset < end) {
          if (top?.kind === 'object' && top.atKey) return undefined;
          return fieldName(frames);
        }
        if (top?.kind === 'object' && top.atKey) top.key = JSON.parse(text.slice(i, end)) as string;
        i = end - 1;
        break;
      }
      case '{':
        frames.push({ kind: 'object', key: '', atKey: true });
        break;
      case '[':
        frames.push({ kind: 'array', index: 0 });
        break;
      case '}':
      case ']':
        frames.pop();
        break;
      case ':':
        if (top?.kind === 'object') top.atKey = false;
        break;
      case ',':
        if (top?.kind === 'object') top.atKey = true;
        else if (top) top.index++;
        break;
    }
  }
  return undefined;
}

/** Named as zod's issues are (lib/schemas/issues.ts): segments joined by dots, empty ones left out. */
function fieldName(frames: Frame[]): string | undefined {
  const segments = frames.map((f) => (f.kind === 'object' ? f.key : String(f.index)));
  return segments.filter(Boolean).join('.') || undefined;
}

/** The index just past the closing quote of the JSON string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
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
