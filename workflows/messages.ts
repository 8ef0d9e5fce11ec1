import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Approval, ExecutionResult } from '../lib/schemas/execution-result';

/** The execution as it stands: status, every stage's outcome, and the results so far. */
export const executionStateQuery = defineQuery<ExecutionResult>('executionState');

/** A reviewer's decision on an execution waiting in `awaiting_approval`. */
export interface ApprovalDecision {
  decision: 'approve' | 'reject';
  /** Who decided: recorded in history with the decision. */
  reviewer: string;
  comment?: string;
  /** The API key the decision came with. */
  keyId?: string;
}

/** Approve or reject; refused (before it reaches history) unless the execution is waiting for approval. */
export const decideApprovalUpdate = defineUpdate<Approval, [ApprovalDecision]>('decideApproval');
