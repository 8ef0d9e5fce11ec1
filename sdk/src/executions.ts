import { DecisionRequest, type DecisionResponse } from '../../lib/schemas/approval';
import { BatchRequest, ExecutionRequest } from '../../lib/schemas/execution-request';
import { readArtifact } from './artifacts';
import type { Artifact, ExecutionResult, ExecutionStatus } from '../../lib/schemas/execution-result';
import type { LiveEvent } from '../../lib/schemas/events';
import { isTerminal } from '../../lib/vocabulary';
import { AirlockError, AirlockNotFoundError } from './errors';
import { liveEvents, type EventsOptions } from './events';
import { sleep, type HttpClient, type MutationOptions, type RequestOptions } from './http';
import { expectObject, idempotencyKey, validate } from './validation';

/** The reports `GET /v1/executions/:id/{sarif,junit,history}` answer, as text. */
export type ExecutionReport = 'sarif' | 'junit' | 'history';

/** One row of `GET /v1/executions`. */
export interface ExecutionSummary {
  id: string;
  status: ExecutionStatus;
  language: string | null;
  policy: string | null;
  /** The worst gate verdict. */
  gate: 'pass' | 'warn' | 'block' | null;
  createdAt: string | null;
  closed: boolean;
}

export interface ExecutionPage {
  executions: ExecutionSummary[];
  /** Pass as `pageToken` for the next page; null on the last one. */
  nextPageToken: string | null;
}

export interface ExecutionListFilters {
  status?: ExecutionStatus;
  language?: string;
  policy?: string;
  gate?: 'pass' | 'warn' | 'block';
  /** Started at or after (ISO 8601 with offset, or a Date). */
  since?: string | Date;
  /** Started before. */
  until?: string | Date;
  /** 1-100, default 20. */
  pageSize?: number;
  pageToken?: string;
}

/** A stage with a process, as output URLs name it: `case.0` is the first case of a compile-once, run-many submission. */
export type OutputStage = 'compile' | 'run' | 'tests' | `case.${number}`;
export type OutputStream = 'stdout' | 'stderr';

/** While the live stream is unavailable, the result is polled at this interval, growing to the maximum. */
const POLL_START_MS = 250;
const POLL_MAX_MS = 2000;

const path = (id: string) => `/v1/executions/${encodeURIComponent(id)}`;

/** A handle on one execution; creating it sends nothing. */
export class Execution {
  private ended = false;

  constructor(
    private readonly http: HttpClient,
    readonly id: string,
  ) {}

  /** The execution as it stands (`GET /v1/executions/:id`). */
  async get(options: RequestOptions = {}): Promise<ExecutionResult> {
    const res = await this.http.request<unknown>({ method: 'GET', path: path(this.id), ...options });
    return expectObject<ExecutionResult>(res.data, `execution ${this.id}`, 'status');
  }

  /**
   * Waits until the execution has ended and returns its full result. It follows the live stream to
   * its `end` event (one long connection rather than a poll), then reads the recorded result; where the
   * server has no live stream, it polls.
   */
  async result(options: RequestOptions = {}): Promise<ExecutionResult> {
    if (this.ended) return this.poll(options);
    const current = await this.get(options);
    if (isTerminal(current.status)) return current;
    try {
      for await (const _ of this.events({ signal: options.signal }));
    } catch (err) {
      // The execution exists (it was just read), so a 404 here means the server has no events route.
      if (!(err instanceof AirlockNotFoundError)) throw err;
    }
    return this.poll(options);
  }

  /** Live events: stage changes, stdout and stderr chunks, then `end`. See `liveEvents`. */
  async *events(options: EventsOptions = {}): AsyncGenerator<LiveEvent, void, undefined> {
    for await (const event of liveEvents(this.http, `${path(this.id)}/events`, options)) {
      // Remembered, so that result() after a streamed execution goes straight to the final read.
      if (event.type === 'end') this.ended = true;
      yield event;
    }
  }

  /**
   * The whole of a stage's output whose result holds only a preview (`stdoutRef` / `stderrRef` is
   * set): `GET /v1/executions/:id/outputs/:stage/:stream`. Its sha256 is the ref's.
   * `AirlockNotFoundError` when that output has no ref; an `AirlockError` with status 410 once
   * retention has removed it.
   */
  async output(stage: OutputStage, stream: OutputStream, options: RequestOptions = {}): Promise<Uint8Array> {
    const res = await this.http.request<Uint8Array>({
      method: 'GET',
      path: `${path(this.id)}/outputs/${encodeURIComponent(stage)}/${encodeURIComponent(stream)}`,
      responseType: 'bytes',
      ...options,
    });
    return res.data;
  }

  /**
   * `output()` as its chunks arrive, for an output too large to hold: printed or saved, never kept
   * whole in memory. Hash the chunks to check them against the ref's sha256.
   */
  async outputStream(
    stage: OutputStage,
    stream: OutputStream,
    options: RequestOptions = {},
  ): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.http.request<AsyncIterable<Uint8Array>>({
      method: 'GET',
      path: `${path(this.id)}/outputs/${encodeURIComponent(stage)}/${encodeURIComponent(stream)}`,
      responseType: 'stream',
      ...options,
    });
    return res.data;
  }

  /** `output()` as text: outputs are stored as the UTF-8 of the text the output gate passed. */
  async outputText(stage: OutputStage, stream: OutputStream, options: RequestOptions = {}): Promise<string> {
    return new TextDecoder().decode(await this.output(stage, stream, options));
  }

  /**
   * A typed artifact's bytes (one of `result.artifacts`): its inline `data` when the result carries
   * it, else `GET /v1/executions/:id/artifacts/:sha256`. Either way the bytes are checked against
   * its sha256. A withheld artifact throws `AirlockError` with code `artifact_withheld` and the reason.
   */
  async artifact(artifact: Artifact, options: RequestOptions = {}): Promise<Uint8Array> {
    return readArtifact(this.http, { artifact, base: `${path(this.id)}/artifacts` }, options);
  }

  /**
   * Asks the workflow to kill the program and tear its container down; the execution then ends
   * `cancelled`. Throws `AirlockConflictError` (`already_finished`) if it had already ended.
   */
  async cancel(options: MutationOptions = {}): Promise<{ id: string; status: 'cancelling' }> {
    const res = await this.http.request<unknown>({
      method: 'POST',
      path: `${path(this.id)}/cancel`,
      // Cancelling twice is harmless; the key only lets the SDK retry a cancel whose answer was lost.
      idempotencyKey: idempotencyKey(options.idempotencyKey),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return expectObject(res.data, `cancel ${this.id}`, 'id');
  }

  /**
   * A report as the API writes it: `sarif` (SARIF 2.1.0 findings), `junit` (JUnit XML test
   * results) or `history` (the workflow history, decrypted, that `airlock audit verify` checks).
   */
  async report(kind: ExecutionReport, options: RequestOptions = {}): Promise<string> {
    const res = await this.http.request<string>({
      method: 'GET',
      path: `${path(this.id)}/${kind}`,
      responseType: 'text',
      ...options,
    });
    return res.data;
  }

  /**
   * Approves an execution waiting in `awaiting_approval`; needs a key with the `approve` scope, other
   * than the one that submitted it. The decision is recorded with the key that made it.
   */
  async approve(decision: DecisionRequest = {}, options: RequestOptions = {}): Promise<DecisionResponse> {
    return this.decide('approve', decision, options);
  }

  /** Rejects an execution waiting in `awaiting_approval`; one rejection ends it `rejected`. */
  async reject(decision: DecisionRequest = {}, options: RequestOptions = {}): Promise<DecisionResponse> {
    return this.decide('reject', decision, options);
  }

  private async decide(
    action: 'approve' | 'reject',
    decision: DecisionRequest,
    options: RequestOptions,
  ): Promise<DecisionResponse> {
    validate(DecisionRequest, decision);
    // Not retried: a decision is recorded once, and a second one from the same key is refused.
    const res = await this.http.request<unknown>({
      method: 'POST',
      path: `${path(this.id)}/${action}`,
      json: decision,
      ...options,
    });
    return expectObject(res.data, `${action} ${this.id}`, 'id');
  }

  private async poll(options: RequestOptions): Promise<ExecutionResult> {
    for (let interval = POLL_START_MS; ; interval = Math.min(POLL_MAX_MS, interval * 1.5)) {
      const current = await this.get(options);
      if (isTerminal(current.status)) return current;
      await sleep(interval, options.signal);
    }
  }
}

/** `airlock.executions`: code run once, in a fresh sandbox. */
export class Executions {
  constructor(private readonly http: HttpClient) {}

  /**
   * Submits an execution and returns at once with its handle (`202`). The request is checked
   * against the shared schema first. A retried submission carries the same `Idempotency-Key`, so it
   * starts one execution.
   */
  async create(request: ExecutionRequest, options: MutationOptions = {}): Promise<Execution> {
    const res = await this.submit(request, options, false);
    return new Execution(this.http, res.id);
  }

  /**
   * Submits up to 100 executions in one request and returns their handles, in order. All are checked
   * before any starts. A retry carries the same `Idempotency-Key`, so it starts only the items that
   * had not started, and answers the same ids.
   */
  async createBatch(requests: ExecutionRequest[], options: MutationOptions = {}): Promise<Execution[]> {
    validate(BatchRequest, { executions: requests });
    requests.forEach((request, i) => validate(ExecutionRequest, request, `executions.${i}`));
    const res = await this.http.request<unknown>({
      method: 'POST',
      path: '/v1/executions/batch',
      json: { executions: requests },
      idempotencyKey: idempotencyKey(options.idempotencyKey),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    const { ids } = expectObject<{ ids?: unknown }>(res.data, 'POST /v1/executions/batch');
    if (!Array.isArray(ids) || ids.length !== requests.length || !ids.every((id) => typeof id === 'string')) {
      throw new AirlockError({
        status: 0,
        code: 'invalid_response',
        message: `unexpected ids for POST /v1/executions/batch: ${JSON.stringify(ids)?.slice(0, 200)}`,
      });
    }
    return ids.map((id: string) => new Execution(this.http, id));
  }

  /** Submits an execution and waits for its result. */
  async run(request: ExecutionRequest, options: MutationOptions = {}): Promise<ExecutionResult> {
    // `?wait=true` answers the result itself when the execution ends within the server's wait bound
    // (60 s by default), which saves a round trip for short programs; otherwise it answers 202.
    const res = await this.submit(request, options, true);
    if (isTerminal(res.status)) return res as ExecutionResult;
    return new Execution(this.http, res.id).result({ signal: options.signal, timeoutMs: options.timeoutMs });
  }

  async get(id: string, options: RequestOptions = {}): Promise<ExecutionResult> {
    return this.handle(id).get(options);
  }

  /** The whole stored output of one stage's stream; see `Execution.output`. */
  async output(
    id: string,
    stage: OutputStage,
    stream: OutputStream,
    options: RequestOptions = {},
  ): Promise<Uint8Array> {
    return this.handle(id).output(stage, stream, options);
  }

  async outputText(
    id: string,
    stage: OutputStage,
    stream: OutputStream,
    options: RequestOptions = {},
  ): Promise<string> {
    return this.handle(id).outputText(stage, stream, options);
  }

  /** A typed artifact's bytes; see `Execution.artifact`. */
  async artifact(id: string, artifact: Artifact, options: RequestOptions = {}): Promise<Uint8Array> {
    return this.handle(id).artifact(artifact, options);
  }

  /** A handle on an existing execution, e.g. one created by another process. */
  handle(id: string): Execution {
    return new Execution(this.http, id);
  }

  /** The tenant's executions, newest first. Visibility may lag a second behind. */
  async list(filters: ExecutionListFilters = {}, options: RequestOptions = {}): Promise<ExecutionPage> {
    const iso = (d: string | Date | undefined) => (d instanceof Date ? d.toISOString() : d);
    const res = await this.http.request<unknown>({
      method: 'GET',
      path: '/v1/executions',
      query: { ...filters, since: iso(filters.since), until: iso(filters.until) },
      ...options,
    });
    const page = expectObject<Partial<ExecutionPage>>(res.data, 'the execution list');
    return { executions: page.executions ?? [], nextPageToken: page.nextPageToken ?? null };
  }

  private async submit(
    request: ExecutionRequest,
    options: MutationOptions,
    wait: boolean,
  ): Promise<{ id: string; status: ExecutionStatus }> {
    validate(ExecutionRequest, request);
    const res = await this.http.request<unknown>({
      method: 'POST',
      path: '/v1/executions',
      query: wait ? { wait: 'true' } : undefined,
      json: request,
      idempotencyKey: idempotencyKey(options.idempotencyKey),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return expectObject(res.data, 'POST /v1/executions', 'id');
  }
}
