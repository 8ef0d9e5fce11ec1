import {
  ActivityFailure,
  ApplicationFailure,
  type CancellationScope,
  TimeoutFailure,
  isCancellation,
} from '@temporalio/workflow';
import type { ExecutionError, ProcessResult } from '../lib/schemas/execution-result';
import { LIMIT_VERDICTS, type Classification } from '../lib/classify';
import { ErrorType } from '../lib/errors';
import type { StageOutcome } from '../lib/vocabulary';
import { errorMessage } from './execution-state';

export type Outcome = Classification & { error?: ExecutionError };

/** How a process stage ended, for the stage record. */
export function processOutcome(result: ProcessResult, timeoutMs: number): [StageOutcome, string] {
  // Only results from hosts that tell the two apart carry it, so older histories replay the same.
  if (result.hostOutOfMemory) return ['failed', 'killed when the host ran out of memory, within its own limit'];
  if (result.limitExceeded) return ['failed', LIMIT_VERDICTS[result.limitExceeded].killedAt(timeoutMs)];
  if (result.signal) return ['failed', `killed by ${result.signal}`];
  return result.exitCode === 0 ? ['succeeded', 'exit code 0'] : ['failed', `exit code ${result.exitCode}`];
}

/** What an error thrown out of the pipeline means for the execution. */
export function failureOutcome(err: unknown, root: CancellationScope): Outcome {
  if (isCancellation(err)) {
    return root.consideredCancelled
      ? { status: 'cancelled', timeLimit: null }
      : {
          status: 'time_limit_exceeded',
          timeLimit: 'deadline',
          error: { type: 'DeadlineExceeded', message: 'the execution ran past its deadline' },
        };
  }
  return { status: 'internal_error', timeLimit: null, error: describeFailure(err) };
}

function describeFailure(err: unknown): ExecutionError {
  if (err instanceof ActivityFailure) {
    if (err.cause instanceof TimeoutFailure) {
      const hostLost = err.activityType !== 'provisionContainer';
      return {
        type: hostLost ? ErrorType.HostLost : ErrorType.NoHost,
        message: hostLost
          ? `the host stopped answering during ${err.activityType} (${err.cause.timeoutType} timeout)`
          : `no host provisioned a sandbox in time (${err.cause.timeoutType} timeout)`,
      };
    }
    if (err.cause instanceof ApplicationFailure) {
      return { type: err.cause.type ?? ErrorType.Internal, message: err.cause.message };
    }
  }
  // A local activity's failure can arrive unwrapped.
  if (err instanceof ApplicationFailure) return { type: err.type ?? ErrorType.Internal, message: err.message };
  return { type: ErrorType.Internal, message: errorMessage(err) };
}
