/**
 * Approval with separation of duties: the approver is the key that decided (as the API verified
 * it), never the key that submitted; a policy may ask for several distinct approvers, and one
 * rejection rejects. Every decision is an update, so each is in the history with its key.
 */
import { ApplicationFailure, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { Approval, ApprovalDecisionRecord, Approver } from '../lib/schemas/execution-result';
import type { GateResult } from '../lib/schemas/findings';
import type { ExecutionPlan } from '../lib/schemas/policy';
import { decisionCommentProblem } from '../lib/rules';
import { STATUS } from '../lib/search-attributes';
import type { ExecutionState } from './execution-state';
import { APPROVAL_REFUSALS, decideApprovalUpdate, type ApprovalDecision } from './messages';
import type { Outcome } from './outcomes';

export interface PendingApproval {
  /** True once the decisions so far settle it: a rejection, or enough approvals. */
  settled: () => boolean;
}

const refuse = (message: string, type: string) => ApplicationFailure.nonRetryable(message, type);

/** A decision from before approvers named only the reviewer's text and key id. */
function approverOf(d: ApprovalDecision, input: ExecutionInput): Approver {
  return d.approver ?? { keyId: d.keyId ?? '', tenant: input.tenant, label: d.reviewer ?? '' };
}

function validate(state: ExecutionState, input: ExecutionInput, d: ApprovalDecision, settled: boolean): void {
  const approval = state.result.approval;
  if (state.result.status !== 'awaiting_approval' || !approval || settled) {
    throw refuse('the execution is not waiting for approval', APPROVAL_REFUSALS.notAwaiting);
  }
  if (d.decision !== 'approve' && d.decision !== 'reject') {
    throw refuse('decision must be approve or reject', APPROVAL_REFUSALS.invalid);
  }
  const approver = d.approver;
  if (!approver || typeof approver.keyId !== 'string' || approver.keyId === '') {
    throw refuse('a decision must name the approving key', APPROVAL_REFUSALS.invalid);
  }
  const commentProblem = decisionCommentProblem(d.comment);
  if (commentProblem) throw refuse(commentProblem, APPROVAL_REFUSALS.invalid);
  if (approver.tenant !== input.tenant) {
    throw refuse('the approving key belongs to another tenant', APPROVAL_REFUSALS.otherTenant);
  }
  if (approver.keyId === input.keyId) {
    throw refuse(
      `key ${approver.keyId} submitted this execution, so it cannot decide on it`,
      APPROVAL_REFUSALS.selfApproval,
    );
  }
  if ((approval.decisions ?? []).some((r) => r.approver.keyId === approver.keyId)) {
    throw refuse(`key ${approver.keyId} has already decided on this execution`, APPROVAL_REFUSALS.alreadyDecided);
  }
}

/** Registered at start, so a decision is refused (not queued) while nobody is waiting for one. */
export function installApprovalHandler(state: ExecutionState, input: ExecutionInput): PendingApproval {
  const settled = () => {
    const approval = state.result.approval;
    if (!approval) return false;
    const decisions = approval.decisions ?? [];
    const approvals = decisions.filter((r) => r.decision === 'approve').length;
    return decisions.some((r) => r.decision === 'reject') || approvals >= (approval.required ?? 1);
  };
  setHandler(
    decideApprovalUpdate,
    (d) => {
      const approval = state.result.approval!;
      const approver = approverOf(d, input);
      const record: ApprovalDecisionRecord = {
        decision: d.decision,
        approver,
        comment: d.comment ?? null,
        decidedAt: new Date().toISOString(),
      };
      approval.decisions = [...(approval.decisions ?? []), record];
      approval.reviewer = approver.label || approver.keyId;
      approval.reviewerKeyId = approver.keyId || null;
      approval.comment = record.comment;
      if (settled()) {
        approval.decision = d.decision === 'approve' ? 'approved' : 'rejected';
        approval.decidedAt = record.decidedAt;
      }
      return approval;
    },
    { validator: (d) => validate(state, input, d, settled()) },
  );
  return { settled };
}

/** Waits for reviewers when the policy asks for them; null means go on. */
export async function approvalGate(
  state: ExecutionState,
  plan: ExecutionPlan,
  gates: GateResult[],
  pending: PendingApproval,
): Promise<Outcome | null> {
  const warned = gates.filter((g) => g.verdict === 'warn').map((g) => g.gate);
  const { required, timeoutMs } = plan.approval;
  if (required === 'never' || (required === 'on-warn' && warned.length === 0)) {
    state.endStage('approval', 'skipped', required === 'never' ? 'not required by the policy' : 'no gate warned');
    return null;
  }
  const reason = required === 'always' ? 'the policy requires approval' : `gates warned: ${warned.join(', ')}`;
  const approval: Approval = {
    reason,
    requestedAt: new Date().toISOString(),
    required: plan.approval.approvers ?? 1,
    decisions: [],
    decision: null,
    reviewer: null,
    reviewerKeyId: null,
    comment: null,
    decidedAt: null,
  };
  state.result.approval = approval;
  state.startStage('approval');
  state.result.status = 'awaiting_approval';
  upsertSearchAttributes([{ key: STATUS, value: 'awaiting_approval' }]);
  const decided = await condition(pending.settled, timeoutMs);
  state.result.status = 'running';
  upsertSearchAttributes([{ key: STATUS, value: 'running' }]);
  if (!decided) {
    approval.decision = 'timed_out';
    approval.decidedAt = new Date().toISOString();
    const got = approval.decisions?.length ?? 0;
    state.endStage(
      'approval',
      'failed',
      `no decision within ${timeoutMs} ms (${got} of ${approval.required} approvals)`,
    );
    return {
      status: 'rejected',
      timeLimit: null,
      error: { type: 'ApprovalTimedOut', message: `no reviewer decided within ${timeoutMs} ms` },
    };
  }
  const by = (r: ApprovalDecisionRecord) =>
    `${r.approver.label || r.approver.keyId} (key ${r.approver.keyId})${r.comment ? `: ${r.comment}` : ''}`;
  if (approval.decision === 'rejected') {
    const who = by(approval.decisions!.find((r) => r.decision === 'reject')!);
    state.endStage('approval', 'failed', `rejected by ${who}`);
    return { status: 'rejected', timeLimit: null, error: { type: 'ApprovalRejected', message: `rejected by ${who}` } };
  }
  state.endStage('approval', 'succeeded', `approved by ${approval.decisions!.map(by).join('; ')}`);
  return null;
}
