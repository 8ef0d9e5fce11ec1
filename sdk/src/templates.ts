import { TemplateSpec, type ParsedTemplateSpec, type TemplateInfo } from '../../lib/schemas/template';
import type { LiveEvent } from '../../lib/schemas/events';
import { AirlockError } from './errors';
import { liveEvents, type EventsOptions } from './events';
import { newIdempotencyKey, type HttpClient, type RequestOptions } from './http';
import { expectObject, validate } from './validation';

const templatePath = (id: string) => `/v1/templates/${encodeURIComponent(id)}`;

/** A template whose build failed: `template.error` says why, `template.logTail` shows the end of its log. */
export class AirlockTemplateBuildError extends AirlockError {
  readonly template: TemplateInfo;
  constructor(template: TemplateInfo) {
    super({
      status: 200,
      code: 'template_build_failed',
      message: `template ${template.id} failed to build: ${template.error}`,
    });
    this.template = template;
  }
}

export interface TemplatePage {
  templates: TemplateInfo[];
  nextPageToken: string | null;
}

export interface BuildOptions extends RequestOptions {
  /** Each live event of the build as it comes: its steps' output, then `end`. */
  onEvent?: (event: LiveEvent) => void;
}

/** `airlock.templates`: images a tenant defines on top of a runtime, by a declarative spec. */
export class Templates {
  constructor(private readonly http: HttpClient) {}

  /**
   * Starts the build (or finds the template the same spec already is) and answers at once; the
   * template is `building` until its `end` event.
   */
  async create(spec: TemplateSpec, options: RequestOptions = {}): Promise<TemplateInfo> {
    validate(TemplateSpec, spec);
    // The same spec is the same template: sending it again is safe, so it is retried like a PUT.
    const res = await this.http.request<unknown>({
      method: 'POST',
      path: '/v1/templates',
      json: spec,
      idempotencyKey: newIdempotencyKey(),
      ...options,
    });
    return expectObject<TemplateInfo>(res.data, 'POST /v1/templates');
  }

  /** Builds the spec and waits for the end: the ready template, or an `AirlockTemplateBuildError`. */
  async build(spec: TemplateSpec, options: BuildOptions = {}): Promise<TemplateInfo> {
    const { onEvent, ...request } = options;
    const created = await this.create(spec, request);
    if (created.status === 'building') {
      for await (const event of this.events(created.id, { ...(request.signal ? { signal: request.signal } : {}) })) {
        onEvent?.(event);
      }
    }
    const info = await this.get(created.id, request);
    if (info.status !== 'ready') throw new AirlockTemplateBuildError(info);
    return info;
  }

  async get(id: string, options: RequestOptions = {}): Promise<TemplateInfo> {
    const res = await this.http.request<unknown>({ method: 'GET', path: templatePath(id), ...options });
    return expectObject<TemplateInfo>(res.data, `GET ${templatePath(id)}`);
  }

  async list(
    filters: { pageSize?: number; pageToken?: string } = {},
    options: RequestOptions = {},
  ): Promise<TemplatePage> {
    const res = await this.http.request<unknown>({ method: 'GET', path: '/v1/templates', query: filters, ...options });
    return expectObject<TemplatePage>(res.data, 'GET /v1/templates');
  }

  /** The build's live events: each step's output (`stdout` with `stage` the step), then `end`. */
  events(id: string, options: EventsOptions = {}): AsyncGenerator<LiveEvent, void, undefined> {
    return liveEvents(this.http, `${templatePath(id)}/events`, options);
  }

  /** The whole build log, kept as long as the template. */
  async log(id: string, options: RequestOptions = {}): Promise<string> {
    const res = await this.http.request<string>({
      method: 'GET',
      path: `${templatePath(id)}/log`,
      responseType: 'text',
      ...options,
    });
    return res.data;
  }

  /** Deletes it and its image; a conflict while an execution or sandbox uses it. */
  async delete(id: string, options: RequestOptions = {}): Promise<TemplateInfo> {
    const res = await this.http.request<unknown>({ method: 'DELETE', path: templatePath(id), ...options });
    return expectObject<TemplateInfo>(res.data, `DELETE ${templatePath(id)}`);
  }
}

export type { ParsedTemplateSpec, TemplateInfo };
