import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionRequest } from '../lib/schemas/execution-request';
import { STATE_DIR } from '../lib/paths';
import type { ExecutionResult } from '../lib/schemas/execution-result';
import type { RuntimeSummary } from '../lib/schemas/runtime';
import { isTerminal } from '../lib/vocabulary';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where the embedded service saves its first key. */
export const DEFAULT_KEY_FILE = path.join(STATE_DIR, 'api-key');

/** --key, else $AIRLOCK_API_KEY, else the embedded default's key file. */
export function resolveApiKey(explicit: string | undefined): string | undefined {
  if (explicit) return explicit;
  if (process.env.AIRLOCK_API_KEY) return process.env.AIRLOCK_API_KEY;
  try {
    return fs.readFileSync(DEFAULT_KEY_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The few API calls the CLI needs. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  async runtimes(): Promise<RuntimeSummary[]> {
    const body = await this.call<{ runtimes: RuntimeSummary[] }>('GET', '/v1/runtimes');
    return body.runtimes;
  }

  /** Submits and waits for the result, polling past the server's wait bound. */
  async run(request: ExecutionRequest): Promise<ExecutionResult> {
    let result = await this.call<ExecutionResult | { id: string; status: string }>(
      'POST',
      '/v1/executions?wait=true',
      request,
    );
    while (!isTerminal((result as ExecutionResult).status)) {
      await new Promise((r) => setTimeout(r, 250));
      result = await this.call<ExecutionResult>('GET', `/v1/executions/${result.id}`);
    }
    return result as ExecutionResult;
  }

  async result(id: string): Promise<ExecutionResult> {
    return this.call<ExecutionResult>('GET', `/v1/executions/${id}`);
  }

  /** A resource as text: SARIF, JUnit XML, history JSON. */
  async text(path: string): Promise<string> {
    return this.call<string>('GET', path, undefined, true);
  }

  async get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** A resource's body as it arrives, for one too large to hold (a stored output): an error answer throws. */
  async stream(path: string): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.send('GET', path);
    if (!res.ok) throw await errorOf(res);
    // A 200 always has a body; undici's web stream is async-iterable in Node 20.
    return res.body as unknown as AsyncIterable<Uint8Array>;
  }

  private async call<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
    const res = await this.send(method, path, body);
    if (!res.ok) throw await errorOf(res);
    const text = await res.text();
    if (raw) return text as T;
    return (text ? JSON.parse(text) : {}) as T;
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, 'unreachable', `cannot reach Airlock at ${this.baseUrl}: ${(err as Error).message}`);
    }
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    // Not an Airlock error body (a proxy's page, say): the status says enough.
  }
  return new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${res.status}`);
}
