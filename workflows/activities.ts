import { ActivityCancellationType, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { HostActivities } from '../activities/host';
import type { OrchestrationActivities } from '../activities/orchestration';
import { ErrorType } from '../lib/errors';
import { HOSTS_QUEUE } from '../lib/task-queues';

/** Gate and scan: no Docker, on the workflow's own queue. */
const orchestrationTasks = proxyActivities<OrchestrationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/**
 * The same activities run as local activities, in the worker that runs the workflow: they are pure
 * computations over the input, so a task-queue round trip buys nothing. Their results are still in
 * history (as markers).
 */
const orchestrationLocal = proxyLocalActivities<OrchestrationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/**
 * The seal, on the task queue rather than local: it reads the workflow's history, which holds
 * everything before it only once the workflow task that asked for it has completed.
 */
export const { sealExecution } = proxyActivities<OrchestrationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

/** The tenant quota sweep asks the frontend about each holder: on the task queue, not local. */
export const { leaseSweep } = proxyActivities<OrchestrationActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

/** Workflow version marker: the orchestration activities run locally. */
export const LOCAL_ORCHESTRATION_ACTIVITIES = 'local-orchestration-activities';

/** Local for new workflows; histories from before the change replay with task-queue activities. */
export function orchestration(): OrchestrationActivities {
  return patched(LOCAL_ORCHESTRATION_ACTIVITIES) ? orchestrationLocal : orchestrationTasks;
}

/** Provisioning goes to whichever host takes it from the shared queue. */
export const { provisionContainer } = proxyActivities<HostActivities>({
  taskQueue: HOSTS_QUEUE,
  scheduleToCloseTimeout: '3 minutes',
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  // A host without room for the container waits, then gives the task back (HostFull) for any host.
  retry: {
    maximumAttempts: 5,
    nonRetryableErrorTypes: [ErrorType.ImageMissing, ErrorType.SeccompProfileMismatch, ErrorType.RuntimeUnavailable],
  },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Static analysis runs in a scanner container on whichever host takes it. */
export const { runStaticAnalysis } = proxyActivities<HostActivities>({
  taskQueue: HOSTS_QUEUE,
  scheduleToCloseTimeout: '5 minutes',
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 2, nonRetryableErrorTypes: [ErrorType.SeccompProfileMismatch] },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** A host that stops polling its own queue this long is treated as lost. */
export const HOST_LOSS_TIMEOUT_MS = 15_000;

/**
 * Container activities after provisioning, pinned to the sandbox's host. A heartbeat timeout is
 * retried: under load the server can time out an attempt that is still running, or one whose task
 * never reached the host. The host's stage ledger keeps user code to one run across the attempts;
 * a host that is really gone fails the retry's schedule-to-start, which is not retried.
 */
export function onHost(taskQueue: string, stageTimeoutMs: number) {
  return proxyActivities<HostActivities>({
    taskQueue,
    scheduleToStartTimeout: HOST_LOSS_TIMEOUT_MS,
    startToCloseTimeout: stageTimeoutMs + 60_000,
    heartbeatTimeout: '10 seconds',
    retry: {
      maximumAttempts: 3,
      initialInterval: '1 second',
      nonRetryableErrorTypes: [ErrorType.ContainerGone, ErrorType.StageInterrupted],
    },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

export function teardownOn(taskQueue: string) {
  return proxyActivities<HostActivities>({
    taskQueue,
    // A lost host cannot answer; its reaper removes the container when it returns.
    scheduleToStartTimeout: HOST_LOSS_TIMEOUT_MS,
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 3 },
  });
}
