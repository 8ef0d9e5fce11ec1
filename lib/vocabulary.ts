// Plain constants shared by the zod schemas and the workflows (which must not import zod schemas).

/** Statuses after which nothing about an execution changes. */
export const TERMINAL_STATUSES = [
  'succeeded',
  'runtime_error',
  'signaled',
  'time_limit_exceeded',
  'memory_limit_exceeded',
  'output_limit_exceeded',
  'compile_error',
  'wrong_answer',
  'tests_failed',
  'rejected',
  'cancelled',
  'internal_error',
  /** The host ran out of memory and killed a program within its limits: not the submitter's doing; retry. */
  'host_out_of_memory',
] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export const EXECUTION_STATUSES = ['queued', 'running', 'awaiting_approval', ...TERMINAL_STATUSES] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export function isTerminal(status: ExecutionStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** The pipeline, in order. */
export const STAGE_NAMES = [
  'gate',
  'secrets',
  'imports',
  'static-analysis',
  'approval',
  'provision',
  'compile',
  'run',
  'scan',
  'test',
  'teardown',
] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const STAGE_OUTCOMES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type StageOutcome = (typeof STAGE_OUTCOMES)[number];

export const TEST_STATUSES = ['passed', 'failed', 'error', 'skipped'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/** A tenant's in-flight quotas: what each lease counts against (lib/schemas/quotas.ts). */
export const LEASE_LIMITS = ['executions', 'sandboxes', 'memoryMb', 'cpus'] as const;
export type LeaseLimit = (typeof LEASE_LIMITS)[number];

/** What one sandbox step does. */
export const STEP_KINDS = [
  'exec',
  'write_file',
  'read_file',
  'delete_file',
  'list_files',
  'make_dir',
  'move_path',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Steps a sandbox's `recentSteps` keeps: a value the workflow and the schema share. */
export const RECENT_STEPS = 20;
