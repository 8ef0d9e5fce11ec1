import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RuntimeDefinition } from '../lib/node/runtimes';
import { canonicalJson } from '../lib/node/audit/seal';
import { ErrorType } from '../lib/errors';
import type { LiveEvent } from '../lib/schemas/events';
import type { ParsedTemplateSpec, TemplateInfo, TemplateRef } from '../lib/schemas/template';
import { STATUS, TEMPLATE, TENANT } from '../lib/search-attributes';
import { ORCHESTRATION_QUEUE } from '../lib/task-queues';
import type { templateWorkflow } from '../workflows/template';
import { deleteTemplateUpdate, eventsQuery, templateStateQuery } from '../workflows/messages';
import { HttpError } from './errors';
import { listWorkflows, quote, withTimeout, QUERY_TIMEOUT_MS } from './workflow-lookup';

const ID_PATTERN = /^tpl-[0-9a-f]{24}$/;

/** The spec as built: its runtime version resolved, so "newest" always names one image. */
export function resolvedSpec(spec: ParsedTemplateSpec, runtime: RuntimeDefinition): ParsedTemplateSpec {
  return { ...spec, runtime: { language: runtime.manifest.name, version: runtime.manifest.version } };
}

/** The spec's hash: the same spec is the same template (and image) for a tenant. */
export function specSha256(spec: ParsedTemplateSpec): string {
  return crypto.createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

function workflowIdOf(tenant: string, id: string): string {
  return `template:${tenant}:${id}`;
}

/** Templates as Temporal workflows, one per tenant and spec: the workflow holds its state until it is deleted. */
export class TemplateService {
  constructor(
    private readonly client: Client,
    private readonly buildTimeoutMs: number,
  ) {}

  /** Starts the build, or answers the template the same spec already is; a failed or deleted one is built again. */
  async create(
    tenant: string,
    spec: ParsedTemplateSpec,
    runtime: RuntimeDefinition,
  ): Promise<{ info: TemplateInfo; started: boolean }> {
    const sha256 = specSha256(spec);
    const id = `tpl-${sha256.slice(0, 24)}`;
    const existing = await this.get(id, tenant);
    if (existing && existing.status !== 'failed' && existing.status !== 'deleted') {
      return { info: existing, started: false };
    }
    if (existing?.status === 'failed') {
      await this.delete(id, tenant);
      // Deleted, it closes: only then does the same id start again.
      await this.client.workflow
        .getHandle(workflowIdOf(tenant, id))
        .result()
        .catch(() => undefined);
    }
    const tenantTag = crypto.createHash('sha256').update(tenant).digest('hex').slice(0, 12);
    const input = {
      templateId: id,
      name: spec.name,
      tenant,
      sha256,
      spec,
      runtime: { language: runtime.manifest.name, version: runtime.manifest.version, image: runtime.tag },
      image: `airlock-template/t${tenantTag}:${sha256.slice(0, 24)}`,
      createdAt: new Date().toISOString(),
      buildTimeoutMs: this.buildTimeoutMs,
    };
    try {
      await this.client.workflow.start<typeof templateWorkflow>('templateWorkflow', {
        taskQueue: ORCHESTRATION_QUEUE,
        workflowId: workflowIdOf(tenant, id),
        args: [input],
        // Deleted and failed templates have closed; the same spec builds again under the same id.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: TENANT, value: tenant },
          { key: TEMPLATE, value: id },
          { key: STATUS, value: 'building' },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { info: (await this.get(id, tenant))!, started: true };
  }

  /** The tenant's template, or null (another tenant's is the same as none). */
  async get(id: string, tenant: string): Promise<TemplateInfo | null> {
    if (!ID_PATTERN.test(id)) return null;
    const handle = this.client.workflow.getHandle<typeof templateWorkflow>(workflowIdOf(tenant, id));
    try {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') {
        return await withTimeout(this.client, QUERY_TIMEOUT_MS, () => handle.query(templateStateQuery));
      }
      if (description.status.name === 'COMPLETED') return (await handle.result()) as TemplateInfo;
      return null;
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return null;
      throw err;
    }
  }

  async list(tenant: string, pageSize: number, pageToken?: string) {
    const clauses = [
      `WorkflowType = 'templateWorkflow'`,
      `AirlockTenant = ${quote(tenant)}`,
      `ExecutionStatus = 'Running'`,
    ];
    const page = await listWorkflows(this.client, clauses, pageSize, pageToken);
    const templates = await Promise.all(
      page.workflows.map((w) => this.get(String(w.attributes.get(TEMPLATE) ?? ''), tenant)),
    );
    return { templates: templates.filter((t): t is TemplateInfo => t !== null), nextPageToken: page.nextPageToken };
  }

  /**
   * What an execution or sandbox runs for a template name: a 400 naming `template` unless the
   * tenant has it ready, for the language asked.
   */
  /**
   * A request with the template it names resolved, and its version set to the template's (a
   * request that names another version is a 400 naming `version`).
   */
  async bind<B extends { language: string; version?: string | undefined; template?: string | undefined }>(
    body: B,
    tenant: string,
    prefix = '',
  ): Promise<{ body: B; template: TemplateRef | undefined }> {
    if (body.template === undefined) return { body, template: undefined };
    const { ref, version } = await this.resolve(body.template, tenant, body.language, `${prefix}template`);
    if (body.version !== undefined && body.version !== version) {
      throw HttpError.invalid(
        `${prefix}version`,
        `template "${body.template}" is built on ${body.language} ${version}`,
      );
    }
    return { body: { ...body, version }, template: ref };
  }

  async resolve(
    id: string,
    tenant: string,
    language: string,
    field = 'template',
  ): Promise<{ ref: TemplateRef; version: string }> {
    const info = await this.get(id, tenant);
    if (!info || info.status === 'deleted') throw HttpError.invalid(field, `no template "${id}"`);
    if (info.status !== 'ready' || !info.image) {
      throw HttpError.invalid(field, `template "${id}" is ${info.status}, not ready`);
    }
    if (info.runtime.language !== language) {
      throw HttpError.invalid(field, `template "${id}" is a ${info.runtime.language} template, not ${language}`);
    }
    return {
      ref: { id: info.id, sha256: info.sha256, image: info.image, env: info.spec.env },
      version: info.runtime.version,
    };
  }

  /** Refused (409) while an execution or sandbox that runs it is open, and while it builds. */
  async delete(id: string, tenant: string): Promise<TemplateInfo | null> {
    const info = await this.get(id, tenant);
    if (!info || info.status === 'deleted') return null;
    const users = await listWorkflows(
      this.client,
      [`AirlockTemplate = ${quote(id)}`, `AirlockTenant = ${quote(tenant)}`, `ExecutionStatus = 'Running'`],
      5,
    );
    const inUse = users.workflows.filter((w) => !w.id.startsWith('template:'));
    if (inUse.length > 0) {
      throw new HttpError(409, 'template_in_use', `template ${id} is in use by ${inUse.map((w) => w.id).join(', ')}`);
    }
    const handle = this.client.workflow.getHandle<typeof templateWorkflow>(workflowIdOf(tenant, id));
    try {
      return await handle.executeUpdate(deleteTemplateUpdate, { args: [{}] });
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === ErrorType.TemplateInUse) {
        throw new HttpError(409, 'template_in_use', `template ${id}: ${cause.message}`);
      }
      if (cause instanceof ApplicationFailure || (cause as Error | undefined)?.message) {
        throw new HttpError(409, 'template_busy', `template ${id}: ${(cause as Error).message}`);
      }
      throw err;
    }
  }

  /** The build's live events after an id, ending with `end` (its data the template as it ended). */
  events(id: string, tenant: string): (after: number) => Promise<LiveEvent[]> {
    return async (after) => {
      const handle = this.client.workflow.getHandle<typeof templateWorkflow>(workflowIdOf(tenant, id));
      const info = await this.get(id, tenant);
      if (!info) throw HttpError.notFound(`template ${id}`);
      const page = await withTimeout(this.client, QUERY_TIMEOUT_MS, () => handle.query(eventsQuery, { after }));
      return page.map((e) => (e.type === 'end' ? { ...e, data: { status: info.status, result: info } } : e));
    };
  }
}
