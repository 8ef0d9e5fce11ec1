import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { HOSTS_QUEUE, ORCHESTRATION_QUEUE } from '../lib/task-queues';

export interface HealthCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HealthReport {
  ok: boolean;
  checks: HealthCheck[];
}

const CHECK_TIMEOUT_MS = 3_000;
/** A poller seen within this window counts as alive. */
const POLLER_FRESH_MS = 90_000;

/**
 * Temporal answers, and workers poll both queues. The API holds no Docker socket: each host worker
 * watches its own engine (`airlock_engine_up` on its metrics), and a host whose worker is gone stops
 * polling, which this sees through Temporal.
 */
export function createHealthProbe(opts: { client: Client; namespace: string }) {
  const { client, namespace } = opts;

  /** The identities of the workers that polled the queue lately. */
  async function pollers(queue: string, type: temporal.api.enums.v1.TaskQueueType): Promise<string[]> {
    const res = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
    });
    const now = Date.now();
    return (res.pollers ?? [])
      .filter((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_FRESH_MS)
      .map((p) => p.identity ?? 'unknown');
  }

  const checks: Array<[string, () => Promise<string>]> = [
    [
      'temporal',
      async () => {
        const info = await client.workflowService.getSystemInfo({});
        return `server ${info.serverVersion || 'up'}`;
      },
    ],
    [
      'workers.orchestration',
      async () => {
        const seen = await pollers(ORCHESTRATION_QUEUE, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
        if (seen.length === 0) throw new Error(`no worker polls ${ORCHESTRATION_QUEUE}`);
        return `${seen.length} poller(s): ${seen.join(', ')}`;
      },
    ],
    [
      'workers.hosts',
      async () => {
        const seen = await pollers(HOSTS_QUEUE, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
        if (seen.length === 0) throw new Error(`no host worker polls ${HOSTS_QUEUE}`);
        return `${seen.length} poller(s): ${seen.join(', ')}`;
      },
    ],
  ];

  return async function probe(): Promise<HealthReport> {
    const results = await Promise.all(
      checks.map(async ([name, fn]): Promise<HealthCheck> => {
        try {
          return { name, ok: true, detail: await withTimeout(fn(), CHECK_TIMEOUT_MS) };
        } catch (err) {
          return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    return { ok: results.every((r) => r.ok), checks: results };
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
