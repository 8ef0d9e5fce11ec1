import type { ExecutionResult } from './schemas/execution-result';
import { STAGE_NAMES, type ExecutionStatus, type StageOutcome } from './vocabulary';

export interface BlankResultFields {
  id: string;
  status: ExecutionStatus;
  language: string;
  tenant: string;
  createdAt: string;
  /** Outcome of every stage, until the workflow records its own. */
  stageOutcome: StageOutcome;
}

/** An execution result with nothing recorded yet. Plain code: the workflow uses it too. */
export function blankResult(fields: BlankResultFields): ExecutionResult {
  return {
    id: fields.id,
    status: fields.status,
    language: fields.language,
    tenant: fields.tenant,
    policy: null,
    host: null,
    image: null,
    createdAt: fields.createdAt,
    finishedAt: null,
    stages: STAGE_NAMES.map((name) => ({
      name,
      outcome: fields.stageOutcome,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
    })),
    gates: [],
    approval: null,
    compile: null,
    run: null,
    cases: null,
    tests: null,
    testReport: null,
    scan: null,
    timeLimit: null,
    error: null,
  };
}
