import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError, type Payload } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { temporal } from '@temporalio/proto';
import { LANGUAGE, POLICY, STATUS, TEMPLATE, TENANT } from '../lib/search-attributes';

export interface OwnedWorkflow<T extends Workflow> {
  handle: WorkflowHandle<T>;
  description: WorkflowExecutionDescription;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Workflow = (...args: any[]) => Promise<any>;

/** The workflow behind an id if it belongs to the tenant; another tenant's is indistinguishable from a missing one. */
export async function describeOwned<T extends Workflow>(
  client: Client,
  id: string,
  tenant: string,
  idPattern: RegExp,
): Promise<OwnedWorkflow<T> | null> {
  if (!idPattern.test(id)) return null;
  const handle = client.workflow.getHandle<T>(id);
  try {
    const description = await handle.describe();
    if (description.typedSearchAttributes.get(TENANT) !== tenant) return null;
    return { handle, description };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** How long the API waits on a workflow query before giving up on a stuck worker. */
export const QUERY_TIMEOUT_MS = 5_000;

/** Bounds a call to a workflow (a query, an update) so a stuck worker cannot hold a request forever. */
export async function withTimeout<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await client.withAbortSignal(controller.signal, fn);
  } finally {
    clearTimeout(timer);
  }
}

export interface ListedWorkflow {
  id: string;
  attributes: ReturnType<typeof decodeTypedSearchAttributes>;
  startedAt: string | null;
  closed: boolean;
}

/** A page of workflows matching a visibility query, newest first, with a URL-safe page token. */
export async function listWorkflows(
  client: Client,
  clauses: string[],
  pageSize: number,
  pageToken?: string,
): Promise<{ workflows: ListedWorkflow[]; nextPageToken: string | null }> {
  const response = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    pageSize,
    // SQL visibility (the dev server's) lists newest first and refuses ORDER BY.
    query: clauses.join(' AND '),
    ...(pageToken ? { nextPageToken: Buffer.from(pageToken, 'base64url') } : {}),
  });
  const workflows = (response.executions ?? []).map((e) => ({
    id: e.execution?.workflowId ?? '',
    attributes: decodeTypedSearchAttributes(e.searchAttributes?.indexedFields as Record<string, Payload> | undefined),
    startedAt: e.startTime
      ? new Date(Number(e.startTime.seconds) * 1000 + Math.floor((e.startTime.nanos ?? 0) / 1e6)).toISOString()
      : null,
    closed: e.status !== temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
  }));
  const next =
    response.nextPageToken && response.nextPageToken.length > 0
      ? Buffer.from(response.nextPageToken).toString('base64url')
      : null;
  return { workflows, nextPageToken: next };
}

/** A visibility-query string literal; values are validated before they get here, this keeps quotes inert anyway. */
export function quote(value: string): string {
  return `'${value.replace(/['\\]/g, '')}'`;
}

/** The search attributes every Airlock workflow starts with: what tenancy, listing and the reaper read. */
export function startAttributes(
  owner: { tenant: string; language: string; policy: string; template?: { id: string } | undefined },
  status: string,
) {
  return [
    { key: TENANT, value: owner.tenant },
    { key: LANGUAGE, value: owner.language },
    { key: POLICY, value: owner.policy },
    { key: STATUS, value: status },
    // What a template's delete looks for: an open execution or sandbox that runs it.
    ...(owner.template ? [{ key: TEMPLATE, value: owner.template.id }] : []),
  ];
}
