import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { SourceFile } from '../lib/schemas/common';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { GateResult, GateVerdict, Severity } from '../lib/schemas/findings';
import type { ExecutionPlan } from '../lib/schemas/policy';
import { GATE } from '../lib/search-attributes';
import type { StageName, StageOutcome } from '../lib/vocabulary';
import { orchestration, runStaticAnalysis } from './activities';
import type { ExecutionState } from './execution-state';
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

/** What the pre-run gates look at: an execution's files, or what a sandbox step brings in. */
export interface GatedFiles {
  executionId: string;
  language: ExecutionInput['language'];
  files: SourceFile[];
  entrypoint: string | null;
  deadlineAt: number;
}

/**
 * secrets, imports, static analysis, in that order, each with whether the policy turns it on: the
 * one list executions and sandboxes both run.
 */
export function preRunGates(
  { executionId, language, files, entrypoint, deadlineAt }: GatedFiles,
  plan: ExecutionPlan,
): Array<[StageName, boolean, () => Promise<GateResult>]> {
  const { gates } = plan;
  return [
    ['secrets', gates.secrets.enabled, () => orchestration().checkSecrets({ files, gate: gates.secrets })],
    ['imports', gates.imports.enabled, () => orchestration().checkImports({ language, files, gate: gates.imports })],
    [
      'static-analysis',
      gates.staticAnalysis.enabled,
      () =>
        runStaticAnalysis({
          executionId,
          language,
          files,
          entrypoint,
          gate: gates.staticAnalysis,
          sandbox: plan.sandbox,
          deadlineAt,
        }),
    ],
  ];
}

/** The pre-run gates of an execution: each a recorded step, each skipped when the policy turns it off. */
export async function runPreRunGates(
  state: ExecutionState,
  input: ExecutionInput,
  plan: ExecutionPlan,
  deadlineAt: number,
): Promise<GateResult[]> {
  const files = [...input.files, ...(input.tests?.files ?? [])];
  const steps = preRunGates(
    { executionId: input.executionId, language: input.language, files, entrypoint: input.entrypoint, deadlineAt },
    plan,
  );
  const enabled = steps.filter(([stage, on]) => {
    if (!on) state.endStage(stage, 'skipped', 'turned off by the policy');
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
