/**
 * The Connect protocol with JSON, as the E2B SDKs speak it to envd: unary calls are bare JSON,
 * server streams are enveloped (a flags byte, a big-endian length, the message) and end with an
 * end-of-stream envelope that carries the error, if any.
 */
import type { Request, Response } from 'express';

/** Connect's codes and the HTTP status each goes out with (connectrpc.com/docs/protocol). */
const STATUS = {
  canceled: 499,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  unauthenticated: 401,
} as const;
export type ConnectCode = keyof typeof STATUS;

export function connectStatus(code: ConnectCode): number {
  return STATUS[code];
}

export class ConnectError extends Error {
  constructor(
    readonly code: ConnectCode,
    message: string,
  ) {
    super(message);
  }
}

const END_STREAM = 0x02;
const COMPRESSED = 0x01;
/** One request message at most: the SDK's are a command or a path. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** The one message of a server-stream request, out of its envelope. */
export function unenvelope(body: Buffer): unknown {
  if (body.length < 5) throw new ConnectError('invalid_argument', 'the request is not an enveloped message');
  if (body[0]! & COMPRESSED) throw new ConnectError('unimplemented', 'compressed messages are not supported');
  const length = body.readUInt32BE(1);
  if (length > MAX_MESSAGE_BYTES || body.length < 5 + length) {
    throw new ConnectError('invalid_argument', 'the envelope is truncated or too large');
  }
  return parseMessage(body.subarray(5, 5 + length));
}

export function parseMessage(bytes: Buffer): unknown {
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ConnectError('invalid_argument', 'the message is not JSON');
  }
}

function envelope(flags: number, message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json]);
}

/** A unary answer: the message as JSON, or the error with its status. */
export function sendUnary(res: Response, run: () => Promise<unknown>): Promise<void> {
  return run().then(
    (message) => {
      res
        .status(200)
        .type('application/json')
        .send(JSON.stringify(message ?? {}));
    },
    (err: unknown) => {
      const { code, message } = asConnectError(err);
      res.status(STATUS[code]).type('application/json').send(JSON.stringify({ code, message }));
    },
  );
}

/** A server stream: messages as they come, then the end-of-stream envelope. */
export class ConnectStream {
  private closed = false;

  constructor(private readonly res: Response) {
    // The response's close, not the request's: a request closes once its body has been read.
    res.on('close', () => (this.closed = true));
  }

  /** The client went away (or the stream was ended). */
  get gone(): boolean {
    return this.closed || this.res.writableEnded;
  }

  open(): void {
    this.res.status(200).set({
      'Content-Type': 'application/connect+json',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    this.res.flushHeaders();
  }

  send(message: unknown): void {
    if (!this.gone) this.res.write(envelope(0, message));
  }

  end(err?: unknown): void {
    if (this.res.writableEnded) return;
    if (!this.res.headersSent) this.open();
    const error = err === undefined ? undefined : asConnectError(err);
    this.res.end(envelope(END_STREAM, error ? { error: { code: error.code, message: error.message } } : {}));
  }
}

export function asConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const status = (err as { status?: number }).status;
  const message = err instanceof Error ? err.message : String(err);
  // The API's own errors (a sandbox that is not the caller's, one that has ended) keep their meaning.
  if (status === 404) return new ConnectError('not_found', message);
  if (status === 409) return new ConnectError('failed_precondition', message);
  if (status === 429) return new ConnectError('resource_exhausted', message);
  if (status === 400) return new ConnectError('invalid_argument', message);
  if (status === 401) return new ConnectError('unauthenticated', message);
  if (status === 403) return new ConnectError('permission_denied', message);
  if (status === 503) return new ConnectError('unavailable', message);
  return new ConnectError('internal', message);
}

/** `Connect-Timeout-Ms`: the deadline the client gives a stream; absent or 0 means none. */
export function connectTimeoutMs(req: Request): number | undefined {
  const raw = req.get('connect-timeout-ms');
  if (raw === undefined || !/^\d{1,10}$/.test(raw)) return undefined;
  const ms = Number(raw);
  return ms > 0 ? ms : undefined;
}
