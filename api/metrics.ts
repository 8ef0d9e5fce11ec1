import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { AirlockMetrics } from '../lib/metrics';
import { HOSTS_QUEUE, ORCHESTRATION_QUEUE } from '../lib/task-queues';

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;

/** The queues whose backlog says whether workers keep up: what an autoscaler watches. */
const WATCHED: Array<[label: string, queue: string, type: temporal.api.enums.v1.TaskQueueType]> = [
  ['orchestration-workflows', ORCHESTRATION_QUEUE, TASK_QUEUE_TYPE_WORKFLOW],
  ['orchestration-activities', ORCHESTRATION_QUEUE, TASK_QUEUE_TYPE_ACTIVITY],
  ['hosts', HOSTS_QUEUE, TASK_QUEUE_TYPE_ACTIVITY],
];

/** The API's metrics: process metrics, and the task-queue backlog read from Temporal at each scrape. */
export function createApiMetrics(client: Client): AirlockMetrics {
  return new AirlockMetrics('api', async (gauge) => {
    await Promise.all(
      WATCHED.map(async ([label, name, taskQueueType]) => {
        try {
          const { stats } = await client.workflowService.describeTaskQueue({
            namespace: client.options.namespace,
            taskQueue: { name },
            taskQueueType,
            reportStats: true,
          });
          gauge.set({ queue: label }, Number(stats?.approximateBacklogCount ?? 0));
        } catch {
          // Temporal unreachable: leave the last value; /healthz says why.
        }
      }),
    );
  });
}
