import type { ExecInput } from '../activities/host';
import type { ProcessResult } from '../lib/schemas/execution-result';
import type { ExecutionPlan } from '../lib/schemas/policy';
import { onHost } from './activities';

/** What every process of a stage is sent with: where it runs, its env, its output cap and the output gate. */
export function stageCommon(executionId: string, plan: ExecutionPlan, env: Record<string, string> = plan.env) {
  return { executionId, env, outputBytes: plan.limits.outputBytes, outputRules: plan.gates.output };
}

export type StageCommon = ReturnType<typeof stageCommon>;

/**
 * The compile stage on the sandbox's host, for executions and sandbox steps alike: the plan's
 * compiler under its own limits, after which the container drops to `runMemoryMb`.
 */
export function compileOnHost({
  taskQueue,
  compile,
  common,
  runMemoryMb,
  files,
  live,
}: {
  taskQueue: string;
  compile: NonNullable<ExecutionPlan['compile']>;
  common: StageCommon;
  runMemoryMb: number;
} & Pick<ExecInput, 'files' | 'live'>): Promise<ProcessResult> {
  return onHost(taskQueue, compile.timeoutMs).compileInContainer({
    ...common,
    ...(files ? { files } : {}),
    ...(live ? { live } : {}),
    argv: compile.argv,
    timeoutMs: compile.timeoutMs,
    cpuTimeMs: compile.timeoutMs,
    runMemoryMb,
  });
}

/** A compile that produced no program: it failed, or was stopped at a limit. */
export function compileFailed(compiled: ProcessResult): boolean {
  return compiled.exitCode !== 0 || compiled.limitExceeded !== null;
}
