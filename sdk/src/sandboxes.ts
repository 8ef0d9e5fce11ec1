import type { Command } from '../../lib/schemas/common';
import type { LiveEvent } from '../../lib/schemas/events';
import {
  MAX_SANDBOX_FILE_BYTES,
  SandboxCreateRequest,
  SandboxDirectory,
  SandboxExecRequest,
  SandboxPath,
  type FileEntry,
  type SandboxInfo,
  type SandboxListItem,
  type SandboxStatus,
  type StepResult,
} from '../../lib/schemas/sandbox';
import type { Artifact } from '../../lib/schemas/execution-result';
import { readArtifact } from './artifacts';
import { AirlockNotFoundError, AirlockSandboxFailedError, AirlockValidationError } from './errors';
import { liveEvents, type EventsOptions } from './events';
import { sleep, type HttpClient, type MutationOptions, type RequestOptions } from './http';
import { expectObject, idempotencyKey, validate } from './validation';

/** Options of one step that runs a process. */
export interface StepOptions extends MutationOptions {
  stdin?: string;
  /** Wall-clock limit of the step, up to the policy's `timeoutMs`. */
  timeoutSeconds?: number;
  /** Extra environment for this step. */
  env?: Record<string, string>;
}

/** What a file write answers. */
export type WrittenFile = Omit<NonNullable<StepResult['file']>, 'contentBase64'>;

export interface SandboxListFilters {
  /** `active` (starting, ready or busy) or one status. */
  status?: 'active' | SandboxStatus;
  pageSize?: number;
  pageToken?: string;
}

export interface SandboxPage {
  sandboxes: SandboxListItem[];
  nextPageToken: string | null;
}

/** A step's own answer may take as long as the step itself: give each attempt that much, and a margin. */
const STEP_MARGIN_MS = 30_000;
const POLL_MS = 500;

const sandboxPath = (id: string) => `/v1/sandboxes/${encodeURIComponent(id)}`;

/** A step started with `sandbox.start()`: stream its output, then take its result. */
export class Step {
  private known: StepResult | undefined;

  constructor(
    private readonly http: HttpClient,
    readonly sandboxId: string,
    readonly stepId: string,
    /** The exec request and key it was sent with: resending both fetches its result without running it again. */
    private readonly request: SandboxExecRequest,
    private readonly key: string,
    known?: StepResult,
  ) {
    this.known = known;
  }

  /** Live events of this step (`stage` values `gates` and `exec`), then `end` with the step result. */
  async *events(options: EventsOptions = {}): AsyncGenerator<LiveEvent, void, undefined> {
    const path = `${sandboxPath(this.sandboxId)}/steps/${encodeURIComponent(this.stepId)}/events`;
    for await (const event of liveEvents(this.http, path, options)) {
      // Kept, so that result() after a streamed step needs no second connection.
      if (event.type === 'end') this.known ??= asStepResult(event.data.result);
      yield event;
    }
  }

  /**
   * Cancels the step: a running one's process is killed, a waiting one never runs, and its result
   * says `cancelled`. Throws AirlockNotFoundError when it is neither running nor waiting.
   */
  async cancel(options: RequestOptions = {}): Promise<void> {
    const path = `${sandboxPath(this.sandboxId)}/steps/${encodeURIComponent(this.stepId)}/cancel`;
    await this.http.request<unknown>({ method: 'POST', path, ...options });
  }

  /** Waits for the step to end: from the stream's `end` event, or by resending it with the same key. */
  async result(options: RequestOptions = {}): Promise<StepResult> {
    if (this.known) return this.known;
    try {
      for await (const _ of this.events({ signal: options.signal }));
      if (this.known) return this.known;
    } catch (err) {
      // No events route on this server: the documented fallback is a resend with the same key.
      if (!(err instanceof AirlockNotFoundError)) throw err;
    }
    for (;;) {
      const answer = await postStep(this.http, this.sandboxId, this.request, this.key, options, true);
      if (answer.result) return (this.known = answer.result);
      await sleep(POLL_MS, options.signal);
    }
  }
}

function asStepResult(value: unknown): StepResult | undefined {
  const ok = typeof value === 'object' && value !== null && typeof (value as StepResult).stepId === 'string';
  return ok ? (value as StepResult) : undefined;
}

/** Files in the sandbox's workspace. Each call is a step on the server: serialised with the others. */
export class SandboxFiles {
  constructor(
    private readonly http: HttpClient,
    private readonly sandboxId: string,
  ) {}

  /** Writes a file (text as UTF-8), creating parent directories; up to 1 MiB. */
  async write(path: string, data: string | Uint8Array, options: MutationOptions = {}): Promise<WrittenFile> {
    validate(SandboxPath, path, 'path');
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (bytes.byteLength > MAX_SANDBOX_FILE_BYTES) {
      throw new AirlockValidationError({
        status: 413,
        code: 'payload_too_large',
        message: `data: must be at most ${MAX_SANDBOX_FILE_BYTES} bytes`,
        issues: [{ field: 'data', message: `must be at most ${MAX_SANDBOX_FILE_BYTES} bytes` }],
      });
    }
    const res = await this.http.request<unknown>({
      method: 'PUT',
      path: `${sandboxPath(this.sandboxId)}/files`,
      query: { path },
      bytes,
      idempotencyKey: idempotencyKey(options.idempotencyKey),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return expectObject<WrittenFile>(res.data, `PUT ${path}`, 'sha256');
  }

  async read(path: string, options: RequestOptions = {}): Promise<Uint8Array> {
    validate(SandboxPath, path, 'path');
    const res = await this.http.request<Uint8Array>({
      method: 'GET',
      path: `${sandboxPath(this.sandboxId)}/files`,
      query: { path },
      responseType: 'bytes',
      ...options,
    });
    return res.data;
  }

  /** Reads a file as UTF-8 text (invalid sequences become U+FFFD). */
  async readText(path: string, options: RequestOptions = {}): Promise<string> {
    return new TextDecoder().decode(await this.read(path, options));
  }

  /** The entries of a directory (default: the workspace itself). */
  async list(directory = '.', options: RequestOptions = {}): Promise<FileEntry[]> {
    validate(SandboxDirectory, directory, 'path');
    const res = await this.http.request<unknown>({
      method: 'GET',
      path: `${sandboxPath(this.sandboxId)}/files/list`,
      query: { path: directory },
      ...options,
    });
    return expectObject<{ entries?: FileEntry[] }>(res.data, `list ${directory}`).entries ?? [];
  }

  /** Removes a file or an empty directory. */
  async remove(path: string, options: MutationOptions = {}): Promise<void> {
    validate(SandboxPath, path, 'path');
    await this.http.request<unknown>({
      method: 'DELETE',
      path: `${sandboxPath(this.sandboxId)}/files`,
      query: { path },
      idempotencyKey: idempotencyKey(options.idempotencyKey),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
  }
}

/**
 * One long-lived container an agent works in step by step. Close it when done (`close()`, or
 * `await using` where the runtime supports it); otherwise the server tears it down after its idle timeout.
 */
export class Sandbox {
  readonly files: SandboxFiles;

  constructor(
    private readonly http: HttpClient,
    /** The sandbox as last seen; `refresh()` and `close()` update it. */
    public info: SandboxInfo,
  ) {
    this.files = new SandboxFiles(http, info.id);
  }

  get id(): string {
    return this.info.id;
  }

  /** Runs a program in the sandbox's language and waits for its result. */
  async run(code: string, options: StepOptions = {}): Promise<StepResult> {
    return this.step({ code, ...stepFields(options) }, options);
  }

  /**
   * A typed artifact of a step (one of `step.artifacts`: a chart it drew, a table it wrote): inline
   * or from `GET /v1/sandboxes/:id/steps/:stepId/artifacts/:sha256`, checked against its sha256.
   */
  async artifact(
    step: Pick<StepResult, 'stepId'>,
    artifact: Artifact,
    options: RequestOptions = {},
  ): Promise<Uint8Array> {
    const base = `${sandboxPath(this.id)}/steps/${encodeURIComponent(step.stepId)}/artifacts`;
    return readArtifact(this.http, { artifact, base }, options);
  }

  /** Runs a command: a string for `/bin/sh -c`, or an argv. */
  async exec(command: Command, options: StepOptions = {}): Promise<StepResult> {
    return this.step({ command, ...stepFields(options) }, options);
  }

  /** Starts a step without waiting (`?wait=false`): stream it with `events()`, then `result()`. */
  async start(request: SandboxExecRequest, options: MutationOptions = {}): Promise<Step> {
    validate(SandboxExecRequest, request);
    const key = idempotencyKey(options.idempotencyKey);
    const answer = await postStep(this.http, this.id, request, key, options, false);
    return new Step(this.http, this.id, answer.stepId, request, key, answer.result);
  }

  async refresh(options: RequestOptions = {}): Promise<SandboxInfo> {
    const res = await this.http.request<unknown>({ method: 'GET', path: sandboxPath(this.id), ...options });
    return (this.info = expectObject<SandboxInfo>(res.data, `sandbox ${this.id}`, 'id'));
  }

  /** Tears the sandbox down (`DELETE`); on one that has already ended it just reads its final state. */
  async close(options: RequestOptions = {}): Promise<SandboxInfo> {
    const res = await this.http.request<unknown>({ method: 'DELETE', path: sandboxPath(this.id), ...options });
    return (this.info = expectObject<SandboxInfo>(res.data, `sandbox ${this.id}`, 'id'));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.close();
    } catch (err) {
      // Already gone is what disposal wants; anything else is worth hearing about.
      if (!(err instanceof AirlockNotFoundError)) throw err;
    }
  }

  private async step(request: SandboxExecRequest, options: MutationOptions): Promise<StepResult> {
    validate(SandboxExecRequest, request);
    const key = idempotencyKey(options.idempotencyKey);
    const answer = await postStep(this.http, this.id, request, key, options, true);
    if (answer.result) return answer.result;
    // The server answered 202 (the step outlived its wait): follow it like a started step.
    return new Step(this.http, this.id, answer.stepId, request, key).result(options);
  }
}

/** The step fields of the options that the caller set: the body carries nothing else. */
function stepFields({ stdin, timeoutSeconds, env }: StepOptions): Omit<SandboxExecRequest, 'code' | 'command'> {
  return {
    ...(stdin === undefined ? {} : { stdin }),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    ...(env === undefined ? {} : { env }),
  };
}

/** `POST /v1/sandboxes/:id/exec`: 200 with the step's result, or 202 with only its id (still running). */
async function postStep(
  http: HttpClient,
  sandboxId: string,
  request: SandboxExecRequest,
  key: string,
  options: RequestOptions,
  wait: boolean,
): Promise<{ stepId: string; result?: StepResult }> {
  const stepMs = (request.timeoutSeconds ?? 0) * 1000 + STEP_MARGIN_MS;
  const res = await http.request<unknown>({
    method: 'POST',
    path: `${sandboxPath(sandboxId)}/exec`,
    query: wait ? undefined : { wait: 'false' },
    json: request,
    idempotencyKey: key,
    signal: options.signal,
    timeoutMs: Math.max(options.timeoutMs ?? http.config.timeoutMs, wait ? stepMs : 0),
  });
  const body = expectObject<StepResult>(res.data, `step in ${sandboxId}`, 'stepId');
  return res.status === 202 ? { stepId: body.stepId } : { stepId: body.stepId, result: body };
}

/** `airlock.sandboxes`. */
export class Sandboxes {
  constructor(private readonly http: HttpClient) {}

  /**
   * Creates a sandbox and returns once its container is ready. Throws `AirlockSandboxFailedError`
   * when the server answers with a sandbox that never became ready (policy gate, no host).
   */
  async create(request: SandboxCreateRequest, options: MutationOptions = {}): Promise<Sandbox> {
    validate(SandboxCreateRequest, request);
    const res = await this.http.request<unknown>({
      method: 'POST',
      path: '/v1/sandboxes',
      json: request,
      idempotencyKey: idempotencyKey(options.idempotencyKey),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    const info = expectObject<SandboxInfo>(res.data, 'POST /v1/sandboxes', 'id');
    if (info.status === 'failed') throw new AirlockSandboxFailedError(info, res.status);
    return new Sandbox(this.http, info);
  }

  /** A handle on an existing sandbox, with its current state. */
  async get(id: string, options: RequestOptions = {}): Promise<Sandbox> {
    const res = await this.http.request<unknown>({ method: 'GET', path: sandboxPath(id), ...options });
    return new Sandbox(this.http, expectObject<SandboxInfo>(res.data, `sandbox ${id}`, 'id'));
  }

  async list(filters: SandboxListFilters = {}, options: RequestOptions = {}): Promise<SandboxPage> {
    const res = await this.http.request<unknown>({
      method: 'GET',
      path: '/v1/sandboxes',
      query: { ...filters },
      ...options,
    });
    const page = expectObject<Partial<SandboxPage>>(res.data, 'the sandbox list');
    return { sandboxes: page.sandboxes ?? [], nextPageToken: page.nextPageToken ?? null };
  }
}
