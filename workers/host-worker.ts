import type Docker from 'dockerode';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createHostActivities } from '../activities/host';
import { HOSTS_QUEUE, hostQueue } from '../lib/task-queues';
import type { Logger } from '../lib/logger';
import type { AirlockMetrics } from '../lib/metrics';
import { Reaper } from './reaper';
import { loadSeccompProfiles } from '../lib/seccomp';
import { warmImagePageCache } from './page-cache-warmer';
import { outputChunkSignal } from '../workflows/messages';

export interface HostWorkerOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  docker: Docker;
  hostId: string;
  cluster: string;
  reaperIntervalMs: number;
  warmPageCache: boolean;
  log: Logger;
  metrics: AirlockMetrics;
}

export interface HostWorker {
  hostId: string;
  workers: Worker[];
  reaper: Reaper;
  run(): Promise<void>;
}

/**
 * One Docker host: a worker on the shared hosts queue that provisions, one on this host's own
 * queue for everything after, and the reaper.
 */
export async function createHostWorker(opts: HostWorkerOptions): Promise<HostWorker> {
  const info = (await opts.docker.info()) as { Runtimes?: Record<string, unknown> };
  const activities = createHostActivities({
    docker: opts.docker,
    hostId: opts.hostId,
    cluster: opts.cluster,
    seccompProfiles: loadSeccompProfiles(),
    runtimes: new Set(Object.keys(info.Runtimes ?? { runc: {} })),
    // Through Temporal, so the API reads live output wherever it runs: see docs/architecture.md.
    liveOutput: (workflowId, chunk) => opts.client.workflow.getHandle(workflowId).signal(outputChunkSignal, chunk),
  });
  const common = {
    connection: opts.connection,
    namespace: opts.namespace,
    // Cancellation reaches an activity with a heartbeat response; keep that path short.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
    // Let running stages finish (or be killed and reported) before the process exits.
    shutdownGraceTime: '10 seconds',
  } as const;
  // Provisioning and scanning may run on any host; everything else on the host that holds the sandbox.
  const { provisionContainer, runStaticAnalysis, ...onThisHost } = activities;
  const shared = await Worker.create({
    ...common,
    taskQueue: HOSTS_QUEUE,
    activities: { provisionContainer, runStaticAnalysis },
  });
  const own = await Worker.create({ ...common, taskQueue: hostQueue(opts.hostId), activities: onThisHost });
  const reaper = new Reaper({
    docker: opts.docker,
    client: opts.client,
    hostId: opts.hostId,
    cluster: opts.cluster,
    intervalMs: opts.reaperIntervalMs,
    metrics: opts.metrics,
    log: opts.log.child({ component: 'reaper' }),
  });
  return {
    hostId: opts.hostId,
    workers: [shared, own],
    reaper,
    async run() {
      reaper.start();
      // In the background: the host serves at once, a few sandboxes may start on a cold cache.
      if (opts.warmPageCache) {
        void warmImagePageCache(opts.docker, opts.log).catch((err: unknown) =>
          opts.log.warn({ err }, 'warming the page cache failed'),
        );
      }
      const runs = [shared.run(), own.run()];
      try {
        await Promise.all(runs);
      } catch (err) {
        // Half a host is worse than none: the shared queue would hand out sandboxes nobody drives.
        for (const worker of [shared, own]) if (worker.getState() === 'RUNNING') worker.shutdown();
        await Promise.allSettled(runs);
        throw err;
      } finally {
        await reaper.stop();
      }
    },
  };
}
