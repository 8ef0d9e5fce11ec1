import { randomUUID } from 'node:crypto';
import {
  AirlockAbortError,
  AirlockConnectionError,
  AirlockError,
  AirlockTimeoutError,
  errorFromResponse,
  isRetryable,
} from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined>;

/** Options every SDK method takes. */
export interface RequestOptions {
  /** Cancels the call, including any wait between retries. */
  signal?: AbortSignal;
  /** Per-attempt time limit; defaults to the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** Options of calls that create or run something. */
export interface MutationOptions extends RequestOptions {
  /**
   * Names the operation so that the server runs it once however often it is sent. The SDK generates
   * one per call and reuses it on every retry of that call; pass your own to make a call idempotent
   * across process restarts. 1-128 of `A-Z a-z 0-9 . _ : -`.
   */
  idempotencyKey?: string;
}

export interface HttpConfig {
  baseUrl: string;
  apiKey: string | undefined;
  maxRetries: number;
  timeoutMs: number;
  fetch: typeof fetch;
  backoff: { baseMs: number; maxMs: number };
  headers: Record<string, string>;
}

interface Call extends RequestOptions {
  method: HttpMethod;
  path: string;
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as raw bytes (`application/octet-stream`). */
  bytes?: Uint8Array;
  /** Sends `Idempotency-Key`; a POST is only retried when it has one. */
  idempotencyKey?: string;
  /**
   * How to read a 2xx body. `stream` answers the body as it arrives: the time limit then bounds the
   * wait for the headers only, and the caller's signal still aborts the transfer.
   */
  responseType?: 'json' | 'bytes' | 'text' | 'stream';
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

/** Retry-After may not hold a request back longer than this. */
const MAX_RETRY_AFTER_MS = 60_000;
const USER_AGENT = 'airlock-sdk-typescript/0.1.0';

/** A new idempotency key: `sdk-` and a random UUID, which matches `^[A-Za-z0-9._:-]{1,128}$`. */
export function newIdempotencyKey(): string {
  return `sdk-${randomUUID()}`;
}

export class HttpClient {
  constructor(readonly config: HttpConfig) {}

  /**
   * One API call with retries. GET, PUT and DELETE are retried as they are idempotent; a POST only
   * when it carries an `Idempotency-Key`, and then with the same key, so the server runs it once.
   */
  async request<T>(call: Call): Promise<HttpResponse<T>> {
    const retrySafe = call.method !== 'POST' || call.idempotencyKey !== undefined;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(call.signal);
      try {
        return await this.attempt<T>(call);
      } catch (err) {
        if (!retrySafe || !isRetryable(err) || attempt >= this.config.maxRetries) throw err;
        await sleep(this.backoffMs(attempt, retryAfterOf(err)), call.signal);
      }
    }
  }

  /**
   * Opens a long-lived response (Server-Sent Events): one attempt, no retries (the caller reconnects).
   * `timeoutMs` bounds the wait for the response headers only. `close()` aborts the connection.
   */
  async openStream(path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<OpenStream> {
    throwIfAborted(signal);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const close = () => {
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.config.timeoutMs);
    try {
      const response = await this.config.fetch(this.url(path), {
        method: 'GET',
        headers: this.headers({ accept: 'text/event-stream', 'cache-control': 'no-cache', ...headers }),
        signal: controller.signal,
      });
      if (!response.ok) throw await this.toError(response, controller.signal);
      return { response, close };
    } catch (err) {
      close();
      throw this.normalise(err, signal, timedOut, `GET ${path}`, this.config.timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Full jitter: a random wait between 0 and the exponential bound; never shorter than Retry-After. */
  backoffMs(attempt: number, retryAfterMs?: number): number {
    const { baseMs, maxMs } = this.config.backoff;
    const bound = Math.min(maxMs, baseMs * 2 ** attempt);
    const jittered = Math.random() * bound;
    return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
  }

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const qs = params.toString();
    return `${this.config.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  private async attempt<T>(call: Call): Promise<HttpResponse<T>> {
    const timeoutMs = call.timeoutMs ?? this.config.timeoutMs;
    const controller = new AbortController();
    const onAbort = () => controller.abort(call.signal?.reason);
    call.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    let streaming = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const headers: Record<string, string> = {};
      let body: string | Uint8Array | undefined;
      if (call.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(call.json);
      } else if (call.bytes !== undefined) {
        headers['content-type'] = 'application/octet-stream';
        body = call.bytes;
      }
      if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
      const response = await this.config.fetch(this.url(call.path, call.query), {
        method: call.method,
        headers: this.headers(headers),
        body,
        signal: controller.signal,
      });
      if (!response.ok) throw await this.toError(response, controller.signal);
      if (call.responseType === 'stream') {
        clearTimeout(timer);
        streaming = true;
        const body = this.chunks(response, call, () => call.signal?.removeEventListener('abort', onAbort));
        return { status: response.status, headers: response.headers, data: body as T };
      }
      return { status: response.status, headers: response.headers, data: (await readBody(response, call)) as T };
    } catch (err) {
      throw this.normalise(err, call.signal, timedOut, `${call.method} ${call.path}`, timeoutMs);
    } finally {
      clearTimeout(timer);
      // A streamed body keeps listening: the caller's signal must still stop the transfer.
      if (!streaming) call.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A body as its chunks arrive, failing with the SDK's errors; `done` runs once it has ended, however. */
  private async *chunks(response: Response, call: Call, done: () => void): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      // undici's web stream is async-iterable in Node 20.
      if (response.body) yield* response.body as unknown as AsyncIterable<Uint8Array>;
    } catch (err) {
      throw this.normalise(err, call.signal, false, `${call.method} ${call.path} (the body)`, 0);
    } finally {
      done();
    }
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return {
      'user-agent': USER_AGENT,
      ...this.config.headers,
      ...(this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {}),
      ...extra,
    };
  }

  private async toError(response: Response, signal: AbortSignal): Promise<AirlockError> {
    let body: unknown;
    try {
      body = await readJson(response);
    } catch (err) {
      // A body cut short by our own abort is a cancellation, not a malformed error body.
      if (signal.aborted) throw err;
      body = undefined;
    }
    return errorFromResponse(response.status, body, response.headers, parseRetryAfter(response.headers));
  }

  /** Turns whatever fetch threw into the SDK's errors: aborts, timeouts, connection failures. */
  private normalise(
    err: unknown,
    signal: AbortSignal | undefined,
    timedOut: boolean,
    what: string,
    timeoutMs: number,
  ): AirlockError {
    if (err instanceof AirlockError) return err;
    if (signal?.aborted) return new AirlockAbortError(signal.reason);
    if (timedOut) return new AirlockTimeoutError(`${what} took longer than ${timeoutMs} ms`);
    const cause = (err as { cause?: { message?: string } }).cause;
    const detail = cause?.message ?? (err as Error).message;
    return new AirlockConnectionError(`cannot reach Airlock at ${this.config.baseUrl} (${what}): ${detail}`, err);
  }
}

export interface OpenStream {
  response: Response;
  close(): void;
}

async function readBody(response: Response, call: Call): Promise<unknown> {
  if (call.responseType === 'bytes') return new Uint8Array(await response.arrayBuffer());
  if (call.responseType === 'text') return response.text();
  return readJson(response);
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Leniency: an answer that is not JSON (a proxy's HTML page) still yields a typed error upstream.
    return response.ok ? text : undefined;
  }
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(headers: { get(name: string): string | null }): number | undefined {
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function retryAfterOf(err: unknown): number | undefined {
  return (err as { retryAfterMs?: number }).retryAfterMs;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AirlockAbortError(signal.reason);
}

/** Waits `ms`, or rejects with `AirlockAbortError` as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AirlockAbortError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AirlockAbortError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
