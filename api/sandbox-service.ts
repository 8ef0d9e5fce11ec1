import {
  type Client,
  type WorkflowExecutionDescription,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SandboxInfo, SandboxListItem, StepResult } from '../lib/schemas/sandbox';
import type { LiveEvent } from '../lib/schemas/events';
import type { SandboxInput, StepEnvelope } from '../lib/sandbox-input';
import { ErrorType } from '../lib/errors';
import { SANDBOX_ID_PATTERN, SANDBOX_PREFIX, prefixedId } from '../lib/node/execution-ids';
import { LANGUAGE, POLICY, STATUS, TENANT } from '../lib/search-attributes';
import { ORCHESTRATION_QUEUE } from '../lib/task-queues';
import type { sandboxWorkflow } from '../workflows/sandbox';
import {
  closeSandboxUpdate,
  eventsQuery,
  sandboxReadyUpdate,
  sandboxStateQuery,
  sandboxStepUpdate,
  sandboxStepsQuery,
  cancelSandboxStepUpdate,
  setSandboxTimeoutUpdate,
  type SandboxSteps,
} from '../workflows/messages';
import { HttpError } from './errors';
import type { EventPages } from './execution-service';
import { sameRequest, type Idempotency } from './idempotency';
import { tenantPriority } from './priority';
import {
  describeOwned,
  startAttributes,
  listWorkflows,
  quote,
  withTimeout,
  QUERY_TIMEOUT_MS,
  type OwnedWorkflow,
} from './workflow-lookup';

/** Provisioning waits for a host; past this the client gets the sandbox as it stands (`starting`). */
const READY_WAIT_MS = 120_000;

/** A fresh sandbox id, or the one an `Idempotency-Key` always maps to for the tenant. */
export function newSandboxId(tenant: string, idempotencyKey?: string): string {
  // 'sandbox' first keeps a key's sandbox id apart from the execution id the same key maps to.
  return prefixedId(SANDBOX_PREFIX, idempotencyKey === undefined ? undefined : ['sandbox', tenant, idempotencyKey]);
}

type Owned = OwnedWorkflow<typeof sandboxWorkflow>;

/** Sandboxes as Temporal workflows: the sandbox id is the workflow id; each step is an update. */
export class SandboxService {
  constructor(private readonly client: Client) {}

  /**
   * Starts the sandbox and waits until it is ready or has failed. A repeated create with the same
   * key and body finds the first; the same key with another body is a 'conflict'.
   */
  /** Starts the sandbox and waits for it to be ready; `started` is false for one an idempotency key found. */
  async create(
    input: SandboxInput,
    idempotency?: Idempotency,
  ): Promise<{ info: SandboxInfo; started: boolean } | 'conflict'> {
    let started = true;
    try {
      await this.client.workflow.start<typeof sandboxWorkflow>('sandboxWorkflow', {
        taskQueue: ORCHESTRATION_QUEUE,
        workflowId: input.sandboxId,
        args: [input],
        typedSearchAttributes: startAttributes(input, 'starting'),
        priority: tenantPriority(input.tenant),
        ...(idempotency
          ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const, memo: { requestSha256: idempotency.requestSha256 } }
          : {}),
      });
    } catch (err) {
      if (!idempotency || !(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const { memo } = await this.client.workflow.getHandle(input.sandboxId).describe();
      if (!sameRequest(memo, idempotency)) return 'conflict';
      started = false;
    }
    const handle = this.client.workflow.getHandle<typeof sandboxWorkflow>(input.sandboxId);
    try {
      const info = await withTimeout(this.client, READY_WAIT_MS, () =>
        handle.executeUpdate(sandboxReadyUpdate, { args: [{}] }),
      );
      return { info, started };
    } catch {
      // Already closed (it failed at once), or still provisioning: its state says which.
      return { info: (await this.get(input.sandboxId, input.tenant))!, started };
    }
  }

  async get(id: string, tenant: string): Promise<SandboxInfo | null> {
    const found = await this.describe(id, tenant);
    return found ? this.info(found) : null;
  }

  /** Runs a step and answers its result, or only its acceptance when `wait` is false. */
  async step(id: string, tenant: string, envelope: StepEnvelope, wait: boolean): Promise<StepResult | 'accepted'> {
    const { handle, description } = await this.require(id, tenant);
    if (description.status.name !== 'RUNNING') throw ended(id);
    try {
      if (!wait) {
        const started = await handle.startUpdate(sandboxStepUpdate, {
          args: [envelope],
          updateId: envelope.stepId,
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        });
        await this.throwIfRefused(started);
        return 'accepted';
      }
      return await handle.executeUpdate(sandboxStepUpdate, { args: [envelope], updateId: envelope.stepId });
    } catch (err) {
      throw stepFailure(err, id);
    }
  }

  /**
   * Starts a step and answers at its acceptance with its live events and a promise that settles
   * when it has finished (the update's own long poll): a relay needs no poll to notice the end.
   */
  async startStep(
    id: string,
    tenant: string,
    envelope: StepEnvelope,
  ): Promise<{ pages: EventPages; finished: Promise<void> }> {
    const { handle, description } = await this.require(id, tenant);
    if (description.status.name !== 'RUNNING') throw ended(id);
    let started;
    try {
      started = await handle.startUpdate(sandboxStepUpdate, {
        args: [envelope],
        updateId: envelope.stepId,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      await this.throwIfRefused(started);
    } catch (err) {
      throw stepFailure(err, id);
    }
    const finished = started.result().then(
      () => undefined,
      () => undefined,
    );
    return { pages: this.pagesOf(handle, id, envelope.stepId), finished };
  }

  /**
   * A step the validator refused comes back from `startUpdate` as a handle, not an error: its
   * outcome is already in it, so its result settles without a call to the server, before the next
   * turn of the event loop. One that was accepted would poll; that poll is cancelled at once.
   */
  private async throwIfRefused(started: { result(): Promise<unknown> }): Promise<void> {
    const stop = new AbortController();
    const result = this.client.withAbortSignal(stop.signal, () => started.result());
    const pending = new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')));
    try {
      await Promise.race([result, pending]);
    } finally {
      stop.abort();
      result.catch(() => undefined);
    }
  }

  /** The policy the sandbox runs under (from its search attributes); null when it is not the tenant's. */
  async policyOf(id: string, tenant: string): Promise<string | null> {
    const found = await this.describe(id, tenant);
    return found ? (found.description.typedSearchAttributes.get(POLICY) ?? null) : null;
  }

  /** A new idle timeout, counted from now; the sandbox must still be running. */
  async setIdleTimeout(id: string, tenant: string, idleTimeoutSeconds: number): Promise<SandboxInfo> {
    const { handle, description } = await this.require(id, tenant);
    if (description.status.name !== 'RUNNING') throw ended(id);
    try {
      return await handle.executeUpdate(setSandboxTimeoutUpdate, { args: [{ idleTimeoutSeconds }] });
    } catch (err) {
      throw stepFailure(err, id);
    }
  }

  async close(id: string, tenant: string): Promise<SandboxInfo> {
    const found = await this.require(id, tenant);
    if (found.description.status.name === 'RUNNING') {
      try {
        return await found.handle.executeUpdate(closeSandboxUpdate, { args: [{ reason: 'closed' }] });
      } catch {
        // It ended on its own meanwhile.
      }
    }
    return this.info(await this.require(id, tenant));
  }

  /** What runs and waits in the sandbox; null when it is not the tenant's. */
  async steps(id: string, tenant: string): Promise<SandboxSteps | null> {
    const found = await this.describe(id, tenant);
    if (!found) return null;
    if (found.description.status.name !== 'RUNNING') return { running: null, queued: [] };
    return withTimeout(this.client, QUERY_TIMEOUT_MS, () => found.handle.query(sandboxStepsQuery));
  }

  /** Cancels a running or waiting step, and answers once it has its result; false when it is neither. */
  async cancelStep(id: string, tenant: string, stepId: string): Promise<boolean> {
    const { handle, description } = await this.require(id, tenant);
    if (description.status.name !== 'RUNNING') return false;
    try {
      const { cancelled } = await handle.executeUpdate(cancelSandboxStepUpdate, { args: [{ stepId }] });
      return cancelled;
    } catch (err) {
      throw stepFailure(err, id);
    }
  }

  /** A step started earlier, as `startStep` gives it: its live events and its end. */
  async followStep(
    id: string,
    tenant: string,
    stepId: string,
  ): Promise<{ pages: EventPages; finished: Promise<void> }> {
    const { handle } = await this.require(id, tenant);
    const finished = handle
      .getUpdateHandle<StepResult>(stepId)
      .result()
      .then(
        () => undefined,
        () => undefined,
      );
    return { pages: this.pagesOf(handle, id, stepId), finished };
  }

  /** A step's live events; null when the sandbox is not the tenant's. */
  async stepEventPages(id: string, tenant: string, stepId: string): Promise<EventPages | null> {
    const found = await this.describe(id, tenant);
    return found ? this.pagesOf(found.handle, id, stepId) : null;
  }

  private pagesOf(handle: Owned['handle'], id: string, stepId: string): EventPages {
    return async (after): Promise<LiveEvent[]> => {
      const page = await withTimeout(this.client, QUERY_TIMEOUT_MS, () =>
        handle.query(eventsQuery, { after, scope: stepId }),
      );
      if (page.length > 0) return page;
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') return page;
      // The sandbox has ended and the step never ran (or its events have been let go).
      throw HttpError.notFound(`step ${stepId} of sandbox ${id}`);
    };
  }

  /** A finished step's result, from its event stream's `end`; null when it is not (or no longer) there. */
  async stepResult(id: string, tenant: string, stepId: string): Promise<StepResult | null> {
    const pages = await this.stepEventPages(id, tenant, stepId);
    if (!pages) return null;
    for (let after = 0; ;) {
      const page = await pages(after).catch((err: unknown) => {
        if (err instanceof HttpError && err.status === 404) return null;
        throw err;
      });
      if (!page || page.length === 0) return null;
      const end = page.find((e) => e.type === 'end');
      if (end) return (end.data.result as StepResult | null) ?? null;
      after = page.at(-1)!.id;
    }
  }

  async list(tenant: string, status: string | undefined, pageSize: number, pageToken?: string) {
    // Each run that continued as new stays in visibility; only the latest speaks for the sandbox.
    const clauses = [
      `WorkflowType = 'sandboxWorkflow'`,
      `AirlockTenant = ${quote(tenant)}`,
      `ExecutionStatus != 'ContinuedAsNew'`,
    ];
    if (status === 'active') clauses.push(`ExecutionStatus = 'Running'`);
    else if (status) clauses.push(`AirlockStatus = ${quote(status)}`);
    const page = await listWorkflows(this.client, clauses, pageSize, pageToken);
    const sandboxes: SandboxListItem[] = page.workflows.map(({ id, attributes, startedAt }) => ({
      id,
      language: attributes.get(LANGUAGE) ?? 'unknown',
      policy: attributes.get(POLICY) ?? 'unknown',
      status: (attributes.get(STATUS) ?? 'starting') as SandboxListItem['status'],
      createdAt: startedAt ?? '',
    }));
    return { sandboxes, nextPageToken: page.nextPageToken };
  }

  private async info({ handle, description }: Owned): Promise<SandboxInfo> {
    switch (description.status.name) {
      case 'COMPLETED':
        return handle.result();
      case 'RUNNING':
      case 'CONTINUED_AS_NEW':
        return withTimeout(this.client, QUERY_TIMEOUT_MS, () => handle.query(sandboxStateQuery)).catch(() =>
          skeleton(description, 'starting'),
        );
      default:
        return {
          ...skeleton(description, 'failed'),
          end: {
            reason: 'provision_failed',
            message: `the workflow was ${description.status.name.toLowerCase()}`,
            at: description.closeTime?.toISOString() ?? new Date().toISOString(),
          },
        };
    }
  }

  private async require(id: string, tenant: string): Promise<Owned> {
    const found = await this.describe(id, tenant);
    if (!found) throw HttpError.notFound(`sandbox ${id}`);
    return found;
  }

  private describe(id: string, tenant: string): Promise<Owned | null> {
    return describeOwned<typeof sandboxWorkflow>(this.client, id, tenant, SANDBOX_ID_PATTERN);
  }
}

/** A full step queue drains as steps run: a client is told to look again soon. */
const STEP_QUEUE_RETRY_SECONDS = 1;

function ended(id: string): HttpError {
  return new HttpError(409, 'sandbox_ended', `sandbox ${id} has ended; create a new one`);
}

/** The workflow's refusals in HTTP terms. */
function stepFailure(err: unknown, id: string): unknown {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === ErrorType.SandboxEnded) return ended(id);
    if (cause.type === ErrorType.InvalidStep) return new HttpError(400, 'invalid_request', cause.message);
    if (cause.type === ErrorType.StepQueueFull) {
      const retry = String(STEP_QUEUE_RETRY_SECONDS);
      const limit = (cause.details?.[0] as { limit?: number } | undefined)?.limit;
      return new HttpError(
        429,
        'step_queue_full',
        `${cause.message}; retry once a step has run`,
        [],
        {},
        {
          'Retry-After': retry,
          ...(limit === undefined ? {} : { 'RateLimit-Limit': String(limit) }),
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': retry,
        },
      );
    }
  }
  // The run closed (or continued as new) between our check and the update.
  if ((err as { name?: string }).name === 'WorkflowNotFoundError') return ended(id);
  return err;
}

function skeleton(description: WorkflowExecutionDescription, status: SandboxInfo['status']): SandboxInfo {
  const createdAt = description.startTime.toISOString();
  return {
    id: description.workflowId,
    tenant: description.typedSearchAttributes.get(TENANT) ?? 'unknown',
    language: description.typedSearchAttributes.get(LANGUAGE) ?? 'unknown',
    policy: description.typedSearchAttributes.get(POLICY) ?? 'unknown',
    status,
    createdAt,
    lastActivityAt: createdAt,
    idleTimeoutSeconds: 0,
    maxLifetimeSeconds: 0,
    idleExpiresAt: null,
    expiresAt: createdAt,
    host: null,
    image: null,
    steps: 0,
    recentSteps: [],
    end: null,
  };
}
