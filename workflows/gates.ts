import { ApplicationFailure, condition, patched, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { Approval } from '../lib/schemas/execution-result';
import type { GateResult, GateVerdict, Severity } from '../lib/schemas/findings';
import type { ExecutionPlan } from '../lib/schemas/policy';
import { GATE, STATUS } from '../lib/search-attributes';
import type { StageName, StageOutcome } from '../lib/vocabulary';
import { orchestration, runStaticAnalysis } from './activities';
import type { ExecutionState } from './execution-state';
import { decideApprovalUpdate, type ApprovalDecision } from './messages';
import type { Outcome } from './outcomes';

/** Workflow version marker: pre-run gates run concurrently. */
export const PARALLEL_PRE_RUN_GATES = 'parallel-pre-run-gates';

const VERDICT_RANK: Record<GateVerdict, number> = { pass: 0, warn: 1, block: 2 };
const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function worstVerdict(gates: GateResult[]): GateVerdict {
  return gates.reduce<GateVerdict>(
    (worst, g) => (VERDICT_RANK[g.verdict] > VERDICT_RANK[worst] ? g.verdict : worst),
    'pass',
  );
}

function gateOutcome(result: GateResult): [StageOutcome, string] {
  const count = `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}`;
  if (result.error) return ['failed', `${result.verdict}: ${result.error}`];
  return [result.verdict === 'block' ? 'failed' : 'succeeded', `${result.verdict}: ${result.note ?? count}`];
}

/** secrets, imports, static analysis: each a recorded step, each skipped when the policy turns it off. */
export async function runPreRunGates(
  state: ExecutionState,
  input: ExecutionInput,
  plan: ExecutionPlan,
  deadlineAt: number,
): Promise<GateResult[]> {
  const files = [...input.files, ...(input.tests?.files ?? [])];
  const { gates } = plan;
  const steps: Array<[StageName, boolean, () => Promise<GateResult>]> = [
    ['secrets', gates.secrets.enabled, () => orchestration().checkSecrets({ files, gate: gates.secrets })],
    [
      'imports',
      gates.imports.enabled,
      () => orchestration().checkImports({ language: input.language, files, gate: gates.imports }),
    ],
    [
      'static-analysis',
      gates.staticAnalysis.enabled,
      () =>
        runStaticAnalysis({
          executionId: input.executionId,
          language: input.language,
          files,
          entrypoint: input.entrypoint,
          gate: gates.staticAnalysis,
          sandbox: plan.sandbox,
          deadlineAt,
        }),
    ],
  ];
  const enabled = steps.filter(([stage, on]) => {
    if (!on) state.finish(stage, 'skipped', 'turned off by the policy');
    return on;
  });
  let results: GateResult[];
  // The gates are independent: run together they cost the slowest, not the sum. Histories from
  // before this change ran them one by one, and replay them that way.
  if (patched(PARALLEL_PRE_RUN_GATES)) {
    results = await Promise.all(enabled.map(([stage, , run]) => state.track(stage, run, gateOutcome)));
    state.result.gates = [...results];
  } else {
    results = [];
    for (const [stage, , run] of enabled) {
      results.push(await state.track(stage, run, gateOutcome));
      state.result.gates = [...results];
    }
  }
  upsertSearchAttributes([{ key: GATE, value: worstVerdict(results) }]);
  return results;
}

export function blockedOutcome(gates: GateResult[]): Outcome | null {
  const blocked = gates.filter((g) => g.verdict === 'block');
  if (blocked.length === 0) return null;
  const message = blocked
    .map((g) => {
      const worst = [...g.findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])[0];
      return `${g.gate}: ${g.error ?? `${g.findings.length} finding(s), worst ${worst?.ruleId} (${worst?.severity}): ${worst?.message}`}`;
    })
    .join('; ');
  return { status: 'rejected', timeLimit: null, error: { type: 'GateBlocked', message } };
}

/** Registered at start, so a decision is refused (not queued) while nobody is waiting for one. */
export function installApprovalHandler(state: ExecutionState): { decision: () => ApprovalDecision | undefined } {
  let decision: ApprovalDecision | undefined;
  setHandler(
    decideApprovalUpdate,
    (d) => {
      decision = d;
      const approval = state.result.approval!;
      approval.decision = d.decision === 'approve' ? 'approved' : 'rejected';
      approval.reviewer = d.reviewer;
      approval.reviewerKeyId = d.keyId ?? null;
      approval.comment = d.comment ?? null;
      approval.decidedAt = new Date().toISOString();
      return approval;
    },
    {
      validator: (d) => {
        if (state.result.status !== 'awaiting_approval' || decision !== undefined) {
          throw ApplicationFailure.nonRetryable('the execution is not waiting for approval', 'NotAwaitingApproval');
        }
        if (d.decision !== 'approve' && d.decision !== 'reject') throw new Error('decision must be approve or reject');
        if (typeof d.reviewer !== 'string' || d.reviewer.trim() === '' || d.reviewer.length > 200) {
          throw new Error('reviewer must name who decides (1 to 200 characters)');
        }
        if (d.comment !== undefined && (typeof d.comment !== 'string' || d.comment.length > 2000)) {
          throw new Error('comment must be at most 2000 characters');
        }
      },
    },
  );
  return { decision: () => decision };
}

/** Waits for a reviewer when the policy asks for one; null means go on. */
export async function approvalGate(
  state: ExecutionState,
  plan: ExecutionPlan,
  gates: GateResult[],
  pending: { decision: () => ApprovalDecision | undefined },
): Promise<Outcome | null> {
  const warned = gates.filter((g) => g.verdict === 'warn').map((g) => g.gate);
  const { required, timeoutMs } = plan.approval;
  if (required === 'never' || (required === 'on-warn' && warned.length === 0)) {
    state.finish('approval', 'skipped', required === 'never' ? 'not required by the policy' : 'no gate warned');
    return null;
  }
  const reason = required === 'always' ? 'the policy requires approval' : `gates warned: ${warned.join(', ')}`;
  const approval: Approval = {
    reason,
    requestedAt: new Date().toISOString(),
    decision: null,
    reviewer: null,
    reviewerKeyId: null,
    comment: null,
    decidedAt: null,
  };
  state.result.approval = approval;
  state.start('approval');
  state.result.status = 'awaiting_approval';
  upsertSearchAttributes([{ key: STATUS, value: 'awaiting_approval' }]);
  const decided = await condition(() => pending.decision() !== undefined, timeoutMs);
  state.result.status = 'running';
  upsertSearchAttributes([{ key: STATUS, value: 'running' }]);
  if (!decided) {
    approval.decision = 'timed_out';
    approval.decidedAt = new Date().toISOString();
    state.finish('approval', 'failed', `no decision within ${timeoutMs} ms`);
    return {
      status: 'rejected',
      timeLimit: null,
      error: { type: 'ApprovalTimedOut', message: `no reviewer decided within ${timeoutMs} ms` },
    };
  }
  const who = `${approval.reviewer}${approval.comment ? `: ${approval.comment}` : ''}`;
  if (approval.decision === 'rejected') {
    state.finish('approval', 'failed', `rejected by ${who}`);
    return { status: 'rejected', timeLimit: null, error: { type: 'ApprovalRejected', message: `rejected by ${who}` } };
  }
  state.finish('approval', 'succeeded', `approved by ${who}`);
  return null;
}
