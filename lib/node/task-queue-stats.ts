import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;

/** What Temporal says about one task queue: the signals an autoscaler acts on. */
export interface QueueStats {
  /** Tasks waiting for a worker (approximate). */
  backlog: number;
  /** How long the oldest waiting task has waited: the schedule-to-start latency a new task would see. */
  backlogAgeMs: number;
  /** Tasks added and dispatched per second, recently. */
  addRate: number;
  dispatchRate: number;
}

export async function readQueueStats(
  client: Client,
  queue: string,
  type: temporal.api.enums.v1.TaskQueueType,
): Promise<QueueStats> {
  const { stats } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: queue },
    taskQueueType: type,
    reportStats: true,
  });
  const age = stats?.approximateBacklogAge;
  return {
    backlog: Number(stats?.approximateBacklogCount ?? 0),
    backlogAgeMs: age ? Number(age.seconds ?? 0) * 1000 + Math.round((age.nanos ?? 0) / 1e6) : 0,
    addRate: stats?.tasksAddRate ?? 0,
    dispatchRate: stats?.tasksDispatchRate ?? 0,
  };
}
