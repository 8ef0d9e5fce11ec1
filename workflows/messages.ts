import { defineQuery } from '@temporalio/workflow';
import type { ExecutionResult } from '../lib/schemas/execution-result';

/** The execution as it stands: status, every stage's outcome, and the results so far. */
export const executionStateQuery = defineQuery<ExecutionResult>('executionState');
