/**
 * Starts workers. `all` (the embedded default) runs the orchestration worker and one host worker
 * in this process; `orchestration` and `host` run one role each, for separate machines.
 *
 *   node dist/workers/main.js [all|orchestration|host]
 */
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig } from '../lib/node/config';
import { localResources } from '../activities/capacity/host-capacity';
import { AirlockMetrics } from '../lib/node/metrics';
import { createLogger, type Logger } from '../lib/node/logger';
import { loadPolicies } from '../lib/node/policies';
import { loadRuntimes } from '../lib/node/runtimes';
import { connectWithRetry, createClient, ensureSearchAttributes } from '../lib/node/temporal';
import { startTracing, stopTracing } from '../lib/node/tracing';
import { createOrchestrationWorker } from './orchestration-worker';
import { createHostWorker, type HostWorker } from './host-worker';
import { resolveHostId } from './host-identity';
import { installRuntime } from './runtime';
import { prebuiltWorkflowBundle } from './workflow-bundle';
import { closeSharedScanner } from '../activities/scanner';

type Role = 'all' | 'orchestration' | 'host';

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role;
  if (!['all', 'orchestration', 'host'].includes(role)) throw new Error(`unknown role "${role}"`);
  const config = loadConfig();
  const log = createLogger(`airlock-worker-${role}`, config.logLevel);
  installRuntime(log);
  if (await startTracing(`airlock-worker-${role}`)) log.info('tracing on: exporting spans over OTLP/HTTP');

  const clientConnection = await connectWithRetry(config.temporal);
  const client = createClient(clientConnection, config.namespace);
  await ensureSearchAttributes(clientConnection, config.namespace);
  const connection = await NativeConnection.connect(config.temporal);

  const metrics = new AirlockMetrics(`worker-${role}`);
  const metricsServer = await metrics.serve(config.workerMetricsPort, config.metricsHost);
  const { port } = metricsServer.address() as AddressInfo;
  log.info({ url: `http://${config.metricsHost}:${port}/metrics` }, 'metrics served');

  const runs: Array<Promise<void>> = [];
  const workers: Worker[] = [];
  let host: HostWorker | undefined;
  if (role === 'all' || role === 'orchestration') {
    const worker = await createOrchestrationWorker({
      connection,
      namespace: config.namespace,
      policies: loadPolicies(),
      runtimes: loadRuntimes(),
      workflowBundle: prebuiltWorkflowBundle(),
      metrics,
    });
    workers.push(worker);
    runs.push(worker.run());
    log.info('orchestration worker started');
  }
  if (role === 'all' || role === 'host') {
    const docker = new Docker();
    await docker.ping();
    const hostId = await resolveHostId(docker, config.hostId);
    host = await createHostWorker({
      connection,
      client,
      namespace: config.namespace,
      docker,
      hostId,
      cluster: config.cluster,
      reaperIntervalMs: config.reaperIntervalMs,
      warmPageCache: config.warmPageCache,
      log,
      metrics,
      pool: config.pool,
      resources: localResources(config.hostResources),
      cpuOvercommit: config.cpuOvercommit,
    });
    workers.push(...host.workers);
    runs.push(host.run());
    log.info({ hostId, cluster: config.cluster }, 'host worker started');
  }
  stopOnSignals(log, workers, host, config.drainTimeoutMs);
  try {
    await Promise.all(runs);
  } finally {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled(runs);
    await connection.close();
    await clientConnection.close();
    metricsServer.close();
    await closeSharedScanner();
    await stopTracing();
  }
}

/**
 * The first SIGTERM or SIGINT stops gracefully: a host drains (no new sandboxes; those it holds
 * finish), other workers finish their tasks. A second one stops at once.
 */
function stopOnSignals(log: Logger, workers: Worker[], host: HostWorker | undefined, drainTimeoutMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const shutdownAll = () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    };
    if (stopping) {
      log.warn({ signal }, 'stopping now');
      shutdownAll();
      return;
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    if (!host) return shutdownAll();
    for (const worker of workers)
      if (!host.workers.includes(worker) && worker.getState() === 'RUNNING') worker.shutdown();
    host.drain(drainTimeoutMs).catch((err: unknown) => {
      log.warn({ err }, 'draining failed; stopping now');
      shutdownAll();
    });
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`airlock worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
