import {
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, ApplicationFailure } from '@temporalio/common';
import {
  describeOwned,
  startAttributes,
  listWorkflows,
  quote,
  withTimeout,
  QUERY_TIMEOUT_MS,
  type OwnedWorkflow,
} from './workflow-lookup';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { ExecutionResult, Approval } from '../lib/schemas/execution-result';
import { isTerminal, type ExecutionStatus } from '../lib/vocabulary';
import { blankResult } from '../lib/blank-result';
import { EXECUTION_ID_PATTERN } from '../lib/node/execution-ids';
import { ORCHESTRATION_QUEUE } from '../lib/task-queues';
import { LANGUAGE, POLICY, STATUS, TENANT, GATE } from '../lib/search-attributes';
import type { executionWorkflow } from '../workflows/execution';
import {
  decideApprovalUpdate,
  eventsQuery,
  executionResultUpdate,
  executionStateQuery,
  type ApprovalDecision,
} from '../workflows/messages';
import type { LiveEvent } from '../lib/schemas/events';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { tenantPriority } from './priority';
import { sameRequest, type Idempotency } from './idempotency';
import { decodeHistory } from '../lib/node/payload-codec';

/**
 * Executions as Temporal workflows: the workflow id is the execution id, and every answer comes
 * from the workflow itself (its query while it runs, its history once it has closed).
 */
/** How long a history export waits for an execution that has answered to finish its teardown. */
const CLOSING_WAIT_MS = 30_000;

export class ExecutionService {
  constructor(private readonly client: Client) {}

  /**
   * Starts the execution. With an idempotency key the id is derived from it, and a second submit
   * finds the first instead of starting again: 'duplicate' when it was the same request,
   * 'conflict' when the key was used for a different one.
   */
  async submit(input: ExecutionInput, idempotency?: Idempotency): Promise<'started' | 'duplicate' | 'conflict'> {
    try {
      await this.client.workflow.start<typeof executionWorkflow>(
        'executionWorkflow',
        this.startOptions(input, idempotency),
      );
      return 'started';
    } catch (err) {
      if (!idempotency || !(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return this.findSubmitted(input.executionId, idempotency);
    }
  }

  /**
   * Starts the execution and waits up to `ms` for its result, in one call to the server: the start
   * and the result update go together (update-with-start), and the workflow answers once the
   * outcome is decided, before teardown. Undefined result: still running at the bound.
   */
  async submitAndWait(
    input: ExecutionInput,
    tenant: string,
    ms: number,
    idempotency?: Idempotency,
  ): Promise<{ submitted: 'started' | 'duplicate' | 'conflict'; result: ExecutionResult | null | undefined }> {
    const deadline = Date.now() + ms;
    const start = new WithStartWorkflowOperation<typeof executionWorkflow>('executionWorkflow', {
      ...this.startOptions(input, idempotency),
      workflowIdConflictPolicy: 'FAIL',
    });
    const stop = new AbortController();
    const call = this.client.withAbortSignal(stop.signal, () =>
      this.client.workflow.executeUpdateWithStart(executionResultUpdate, { args: [{}], startWorkflowOperation: start }),
    );
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'bound'>((resolve) => (timer = setTimeout(() => resolve('bound'), ms)));
    try {
      const first = await Promise.race([call, bound]);
      if (first !== 'bound') return { submitted: 'started', result: first };
      // Past the bound: the start is confirmed (or its error thrown) before the answer is given up.
      await start.workflowHandle();
      return { submitted: 'started', result: undefined };
    } catch (err) {
      if (idempotency && err instanceof WorkflowExecutionAlreadyStartedError) {
        const submitted = await this.findSubmitted(input.executionId, idempotency);
        const result =
          submitted === 'conflict' ? null : await this.waitForResult(input.executionId, tenant, deadline - Date.now());
        return { submitted, result };
      }
      // Not started at all: the caller learns why.
      await start.workflowHandle();
      // Started, but the update failed (a worker from before it): the result comes from history.
      return {
        submitted: 'started',
        result: await this.waitForResult(input.executionId, tenant, deadline - Date.now()),
      };
    } finally {
      clearTimeout(timer);
      stop.abort();
      call.catch(() => undefined);
    }
  }

  private startOptions(input: ExecutionInput, idempotency?: Idempotency) {
    return {
      taskQueue: ORCHESTRATION_QUEUE,
      workflowId: input.executionId,
      args: [input] as [ExecutionInput],
      typedSearchAttributes: startAttributes(input, input.lease?.queued ? 'queued' : 'running'),
      priority: tenantPriority(input.tenant),
      ...(idempotency
        ? {
            memo: { requestSha256: idempotency.requestSha256 },
            workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
          }
        : {}),
    };
  }

  private async findSubmitted(id: string, idempotency: Idempotency): Promise<'duplicate' | 'conflict'> {
    const { memo } = await this.client.workflow.getHandle(id).describe();
    return sameRequest(memo, idempotency) ? 'duplicate' : 'conflict';
  }

  private withDeadline<T>(deadline: number, fn: () => Promise<T>): Promise<T> {
    return withTimeout(this.client, Math.max(0, deadline - Date.now()), fn);
  }

  /** The execution as the tenant may see it, or null when it does not exist for them. */
  async get(id: string, tenant: string): Promise<ExecutionResult | null> {
    const found = await this.describe(id, tenant);
    if (!found) return null;
    const { handle, description } = found;
    switch (description.status.name) {
      case 'COMPLETED':
        return (await handle.result()) as ExecutionResult;
      case 'RUNNING':
        return this.liveState(handle, description);
      default:
        return closedAbnormally(description);
    }
  }

  /**
   * Waits up to `ms` for the execution's result; undefined if it is still running then. A running
   * execution answers its result update once its outcome is decided; one that has closed (or is
   * from before that update) answers from its history.
   */
  /** Each one's result once it has ended within `ms` of now, else `{id, status: 'running'}`, in order. */
  async waitForResults(
    ids: string[],
    tenant: string,
    ms: number,
  ): Promise<Array<ExecutionResult | { id: string; status: 'running' }>> {
    const deadline = Date.now() + ms;
    return Promise.all(
      ids.map(
        async (id) =>
          (await this.waitForResult(id, tenant, Math.max(0, deadline - Date.now()))) ?? { id, status: 'running' },
      ),
    );
  }

  async waitForResult(id: string, tenant: string, ms: number): Promise<ExecutionResult | null | undefined> {
    const deadline = Date.now() + ms;
    const found = await this.describe(id, tenant);
    if (!found) return null;
    const { handle, description } = found;
    if (description.status.name === 'RUNNING') {
      try {
        return await this.withDeadline(deadline, () => handle.executeUpdate(executionResultUpdate, { args: [{}] }));
      } catch {
        if (Date.now() >= deadline) return undefined;
        // Closed meanwhile, or a workflow without the update: its result is in history.
      }
    }
    try {
      return (await this.withDeadline(deadline, () => handle.result())) as ExecutionResult;
    } catch {
      if (Date.now() >= deadline) return undefined;
    }
    // Closed without a result (failed, terminated): its description says how.
    return this.get(id, tenant);
  }

  /** Asks the workflow to cancel; its teardown still runs. */
  async cancel(id: string, tenant: string): Promise<'cancelling' | ExecutionStatus | null> {
    const found = await this.describe(id, tenant);
    if (!found) return null;
    if (found.description.status.name !== 'RUNNING') return (await this.get(id, tenant))?.status ?? null;
    await found.handle.cancel();
    return 'cancelling';
  }

  /** Reads the execution's live event log a page at a time; null when it does not exist for the tenant. */
  async eventPages(id: string, tenant: string): Promise<EventPages | null> {
    const found = await this.describe(id, tenant);
    if (!found) return null;
    const { handle } = found;
    return async (after) => {
      try {
        return await this.withQueryTimeout(() => handle.query(eventsQuery, { after }));
      } catch (err) {
        const description = await handle.describe();
        if (description.status.name === 'RUNNING') return []; // not started yet, or a worker restarting
        if (description.status.name === 'COMPLETED') throw err;
        // Terminated or failed: the workflow cannot answer, its description can.
        const result = closedAbnormally(description);
        return [{ id: after + 1, type: 'end', data: { status: result.status, result } }];
      }
    };
  }

  /** Records a reviewer's decision; 'not_awaiting' when the execution is not waiting for one. */
  /** A decision for the workflow: its approval as it stands, why the workflow refused it, or null for no such execution. */
  async decide(
    id: string,
    tenant: string,
    decision: ApprovalDecision,
  ): Promise<{ approval: Approval } | { refused: string; message: string } | null> {
    const found = await this.describe(id, tenant);
    if (!found) return null;
    if (found.description.status.name !== 'RUNNING') {
      return { refused: 'NotAwaitingApproval', message: 'the execution has ended' };
    }
    try {
      return { approval: await found.handle.executeUpdate(decideApprovalUpdate, { args: [decision] }) };
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) {
        // It closed meanwhile (its answer comes before teardown, its end after): nothing to decide.
        const now = await found.handle.describe().catch(() => undefined);
        if (now && now.status.name !== 'RUNNING') {
          return { refused: 'NotAwaitingApproval', message: 'the execution has ended' };
        }
        throw err;
      }
      const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
      return { refused: cause?.type ?? 'NotAwaitingApproval', message: cause?.message ?? err.message };
    }
  }

  /** The workflow history as proto-JSON, the form auditors replay. */
  /**
   * The execution's history. One whose outcome is decided but which is still tearing down (its
   * answer came first) is waited for, briefly, so the record handed out is whole: teardown and seal.
   */
  async history(id: string, tenant: string): Promise<string | null> {
    const found = await this.describe(id, tenant);
    if (!found) return null;
    const { description, handle } = found;
    const status = description.typedSearchAttributes.get(STATUS) as ExecutionStatus | undefined;
    if (description.status.name === 'RUNNING' && status !== undefined && isTerminal(status)) {
      await this.withDeadline(Date.now() + CLOSING_WAIT_MS, () => handle.result()).catch(() => undefined);
    }
    // The tenant reads its own record in the clear; Temporal holds it encrypted.
    return historyToJSON(await decodeHistory(await handle.fetchHistory()));
  }

  /** A page of the tenant's executions, newest first, filtered through search attributes. */
  async list(tenant: string, filters: ListFilters, pageSize: number, pageToken?: string): Promise<ExecutionPage> {
    const clauses = [`WorkflowType = 'executionWorkflow'`, `AirlockTenant = ${quote(tenant)}`];
    if (filters.status) clauses.push(`AirlockStatus = ${quote(filters.status)}`);
    if (filters.language) clauses.push(`AirlockLanguage = ${quote(filters.language)}`);
    if (filters.policy) clauses.push(`AirlockPolicy = ${quote(filters.policy)}`);
    if (filters.gate) clauses.push(`AirlockGate = ${quote(filters.gate)}`);
    if (filters.since) clauses.push(`StartTime >= ${quote(filters.since)}`);
    if (filters.until) clauses.push(`StartTime < ${quote(filters.until)}`);
    const page = await listWorkflows(this.client, clauses, pageSize, pageToken);
    const executions = page.workflows.map(({ id, attributes, startedAt, closed }) => ({
      id,
      status: attributes.get(STATUS) ?? 'running',
      language: attributes.get(LANGUAGE) ?? null,
      policy: attributes.get(POLICY) ?? null,
      gate: attributes.get(GATE) ?? null,
      createdAt: startedAt,
      closed,
    }));
    return { executions, nextPageToken: page.nextPageToken };
  }

  private async describe(id: string, tenant: string): Promise<OwnedWorkflow<typeof executionWorkflow> | null> {
    return describeOwned<typeof executionWorkflow>(this.client, id, tenant, EXECUTION_ID_PATTERN);
  }

  private async liveState(
    handle: WorkflowHandle<typeof executionWorkflow>,
    description: WorkflowExecutionDescription,
  ): Promise<ExecutionResult> {
    // Until a worker has taken the first workflow task, nothing has started.
    if (description.historyLength <= 2) return skeleton(description, 'queued');
    try {
      return await this.withQueryTimeout(() => handle.query(executionStateQuery));
    } catch {
      return skeleton(description, 'running');
    }
  }

  private async withQueryTimeout<T>(fn: () => Promise<T>): Promise<T> {
    return withTimeout(this.client, QUERY_TIMEOUT_MS, fn);
  }
}

/** What can be said of an execution from its description alone. */
function skeleton(description: WorkflowExecutionDescription, status: ExecutionStatus): ExecutionResult {
  const result = blankResult({
    id: description.workflowId,
    status,
    language: description.typedSearchAttributes.get(LANGUAGE) ?? 'unknown',
    tenant: description.typedSearchAttributes.get(TENANT) ?? 'unknown',
    createdAt: description.startTime.toISOString(),
    stageOutcome: status === 'queued' || status === 'running' ? 'pending' : 'skipped',
  });
  return { ...result, finishedAt: description.closeTime?.toISOString() ?? null };
}

/** Terminated or failed by an operator or a bug: the workflow never produced its own result. */
function closedAbnormally(description: WorkflowExecutionDescription): ExecutionResult {
  const cancelled = description.status.name === 'CANCELLED';
  return {
    ...skeleton(description, cancelled ? 'cancelled' : 'internal_error'),
    error: cancelled
      ? null
      : { type: 'WorkflowClosed', message: `the workflow was ${description.status.name.toLowerCase()}` },
  };
}

/** One page of a live event log after an event id. */
export type EventPages = (after: number) => Promise<LiveEvent[]>;

export interface ListFilters {
  status?: string;
  language?: string;
  policy?: string;
  gate?: string;
  since?: string;
  until?: string;
}

export interface ExecutionSummary {
  id: string;
  status: string;
  language: string | null;
  policy: string | null;
  gate: string | null;
  createdAt: string | null;
  closed: boolean;
}

export interface ExecutionPage {
  executions: ExecutionSummary[];
  nextPageToken: string | null;
}
