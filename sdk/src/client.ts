import type { RuntimeSummary } from '../../lib/schemas/runtime';
import { Audit } from './audit';
import { Executions } from './executions';
import { HttpClient, type RequestOptions } from './http';
import { Sandboxes } from './sandboxes';
import { Templates } from './templates';
import { expectObject } from './validation';

export interface AirlockOptions {
  /** Default: `$AIRLOCK_URL`, else `http://127.0.0.1:8080`. */
  baseUrl?: string;
  /** Default: `$AIRLOCK_API_KEY`. */
  apiKey?: string;
  /** Retries of a failed attempt (network error, 408, 429, 502, 503, 504). Default 3. */
  maxRetries?: number;
  /** Time limit of one attempt, in milliseconds. Default 300 000 (long-polling calls wait server-side). */
  timeoutMs?: number;
  /** A fetch implementation; default the global one (Node 20). */
  fetch?: typeof fetch;
  /** Exponential backoff with full jitter: attempt n waits a random time up to min(maxMs, baseMs * 2^n). */
  retryBackoff?: { baseMs?: number; maxMs?: number };
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/** `$AIRLOCK_URL`, else the embedded service's address, without a trailing slash. */
export function baseUrlFromEnv(env: Record<string, string | undefined> = processEnv()): string {
  return (env.AIRLOCK_URL || DEFAULT_BASE_URL).replace(/\/+$/, '');
}

function processEnv(): Record<string, string | undefined> {
  return typeof process === 'undefined' ? {} : process.env;
}
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * The Airlock API client.
 *
 * ```ts
 * const airlock = new Airlock();
 * const result = await airlock.executions.run({ language: 'python', code: 'print(6 * 7)' });
 * ```
 */
export class Airlock {
  readonly executions: Executions;
  readonly sandboxes: Sandboxes;
  readonly templates: Templates;
  readonly audit: Audit;
  private readonly http: HttpClient;

  constructor(options: AirlockOptions = {}) {
    const env = processEnv();
    const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError('maxRetries must be an integer >= 0');
    if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('no fetch implementation: pass options.fetch');
    this.http = new HttpClient({
      baseUrl: options.baseUrl === undefined ? baseUrlFromEnv(env) : options.baseUrl.replace(/\/+$/, ''),
      apiKey: options.apiKey ?? env.AIRLOCK_API_KEY ?? undefined,
      maxRetries,
      timeoutMs,
      // Bound so `this` is not lost: some fetch implementations check it.
      fetch: (input, init) => fetchImpl(input, init),
      backoff: { baseMs: options.retryBackoff?.baseMs ?? 500, maxMs: options.retryBackoff?.maxMs ?? 10_000 },
      headers: options.headers ?? {},
    });
    this.executions = new Executions(this.http);
    this.sandboxes = new Sandboxes(this.http);
    this.templates = new Templates(this.http);
    this.audit = new Audit(this.http);
  }

  /** The base URL requests go to. */
  get baseUrl(): string {
    return this.http.config.baseUrl;
  }

  /** The languages the service runs (`GET /v1/runtimes`). */
  async runtimes(options: RequestOptions = {}): Promise<RuntimeSummary[]> {
    const res = await this.http.request<unknown>({ method: 'GET', path: '/v1/runtimes', ...options });
    return expectObject<{ runtimes?: RuntimeSummary[] }>(res.data, 'GET /v1/runtimes').runtimes ?? [];
  }
}
