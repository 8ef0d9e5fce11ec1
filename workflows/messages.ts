import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LiveEvent } from '../lib/schemas/events';
import type { SandboxInfo, StepResult } from '../lib/schemas/sandbox';
import type { StepEnvelope } from '../lib/sandbox-input';
import { EVENTS_QUERY, OUTPUT_CHUNK_SIGNAL, type EventsQueryInput, type OutputChunk } from '../lib/output-chunks';
import type { Approval, ApprovalDecision, ExecutionResult } from '../lib/schemas/execution-result';
import type { LeaseAnswer, LeaseRequest } from '../lib/schemas/quotas';
import type { QuotaView } from './lease-book';
import type { TemplateInfo } from '../lib/schemas/template';

export type { ApprovalDecision };

/** The execution as it stands: status, every stage's outcome, and the results so far. */
export const executionStateQuery = defineQuery<ExecutionResult>('executionState');

/**
 * Answers with the execution's result as soon as its outcome is known, before teardown: the
 * `teardown` stage is still pending in it and the seal is not yet made (the completed workflow's
 * result has both). Executions from before this answer only when the workflow ends.
 */
export const executionResultUpdate = defineUpdate<ExecutionResult, [Record<string, never>]>('executionResult');

/** Why a decision is refused before it reaches history: the `type` of the update's failure. */
export const APPROVAL_REFUSALS = {
  notAwaiting: 'NotAwaitingApproval',
  selfApproval: 'SelfApproval',
  alreadyDecided: 'AlreadyDecided',
  otherTenant: 'ApproverOfAnotherTenant',
  invalid: 'InvalidDecision',
} as const;

/**
 * Approve or reject; refused (before it reaches history) unless the execution is waiting for
 * approval, and always for the submitting key, another tenant's key or a key that has decided.
 */
export const decideApprovalUpdate = defineUpdate<Approval, [ApprovalDecision]>('decideApproval');

/** Output a host sends while a process runs; see lib/output-chunks.ts. */
export const outputChunkSignal = defineSignal<[OutputChunk]>(OUTPUT_CHUNK_SIGNAL);

/** The live event log after an id; ends with an `end` event once the workflow's subject has finished. */
export const eventsQuery = defineQuery<LiveEvent[], [EventsQueryInput]>(EVENTS_QUERY);

/** One sandbox step; refused by the validator (before history) when malformed or the sandbox has ended. */
export const sandboxStepUpdate = defineUpdate<StepResult, [StepEnvelope]>('sandboxStep');

/** Answers once the sandbox is ready (or has failed to become so). */
export const sandboxReadyUpdate = defineUpdate<SandboxInfo, [Record<string, never>]>('sandboxReady');

/** Tears the sandbox down; answers its final state. */
export const closeSandboxUpdate = defineUpdate<SandboxInfo, [{ reason?: 'closed' }]>('closeSandbox');

/** A new idle timeout from now; refused (before history) once the sandbox has ended. */
export const setSandboxTimeoutUpdate = defineUpdate<SandboxInfo, [{ idleTimeoutSeconds: number }]>('setSandboxTimeout');

export const sandboxStateQuery = defineQuery<SandboxInfo>('sandboxState');

/** The step that is running, with when it started, and those waiting, in order. */
export interface SandboxSteps {
  running: (StepEnvelope & { startedAt: string }) | null;
  queued: StepEnvelope[];
}

export const sandboxStepsQuery = defineQuery<SandboxSteps>('sandboxSteps');

/**
 * Cancels one step: a running one is stopped (its process killed), a waiting one never runs. Each
 * answers a `cancelled` result. False when the step is neither running nor waiting.
 */
export const cancelSandboxStepUpdate = defineUpdate<{ cancelled: boolean }, [{ stepId: string }]>('cancelSandboxStep');

/**
 * Asks the tenant's quota workflow for leases, judged in order (a batch's items, or one request):
 * each granted, queued or refused.
 */
export const acquireLeasesUpdate = defineUpdate<{ answers: LeaseAnswer[] }, [{ requests: LeaseRequest[] }]>(
  'acquireLeases',
);

/** From a lease's holder as it ends (`ended`), or from the API when its start failed: the room is free. */
export const releaseLeaseSignal = defineSignal<[{ id: string; ended?: boolean }]>('releaseLease');

/** From a queued execution once it runs: it waits for its grant. */
export const leaseWaitingSignal = defineSignal<[{ id: string }]>('leaseWaiting');

/** To a queued execution: its lease is granted, it may go on. */
export const leaseGrantedSignal = defineSignal<[{ id: string }]>('leaseGranted');

/** What the tenant holds and has queued, against its quotas. */
export const quotaUsageQuery = defineQuery<QuotaView>('quotaUsage');

/** A template as it stands: building, ready, failed or deleted. */
export const templateStateQuery = defineQuery<TemplateInfo>('templateState');

/** Deletes a built (or failed) template and its image; refused while it builds. */
export const deleteTemplateUpdate = defineUpdate<TemplateInfo, [Record<string, never>]>('deleteTemplate');
