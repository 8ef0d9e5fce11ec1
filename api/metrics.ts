import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { AirlockMetrics } from '../lib/node/metrics';
import { HOSTS_QUEUE, ORCHESTRATION_QUEUE } from '../lib/task-queues';
import { TASK_QUEUE_TYPE_ACTIVITY, TASK_QUEUE_TYPE_WORKFLOW, readQueueStats } from '../lib/node/task-queue-stats';

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
          gauge.set({ queue: label }, (await readQueueStats(client, name, taskQueueType)).backlog);
        } catch {
          // Temporal unreachable: leave the last value; /healthz says why.
        }
      }),
    );
  });
}
