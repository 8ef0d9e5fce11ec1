/**
 * The pool manager: scales host-worker processes on this machine from the shared hosts queue's
 * backlog and schedule-to-start latency, draining a worker before it goes.
 *
 *   node dist/workers/pool-manager/main.js
 *
 * Bounds from AIRLOCK_SCALE_MIN_WORKERS, AIRLOCK_SCALE_MAX_WORKERS, AIRLOCK_SCALE_BACKLOG_PER_WORKER,
 * AIRLOCK_SCALE_MAX_BACKLOG_AGE_MS, AIRLOCK_SCALE_IN_AFTER_MS and AIRLOCK_SCALE_INTERVAL_MS.
 */
import path from 'node:path';
import { loadConfig } from '../../lib/node/config';
import { createLogger } from '../../lib/node/logger';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { connectWithRetry, createClient } from '../../lib/node/temporal';
import { LocalProcessDriver } from './local-driver';
import { PoolManager } from './manager';
import { loadScalingConfig } from './scaling-config';

async function main(): Promise<void> {
  const config = loadConfig();
  const scaling = loadScalingConfig();
  const log = createLogger('airlock-pool-manager', config.logLevel);
  const connection = await connectWithRetry(config.temporal);
  const client = createClient(connection, config.namespace);
  const driver = new LocalProcessDriver({
    hostIdPrefix: config.hostId ?? 'local',
    logDir: process.env.AIRLOCK_POOL_MANAGER_LOG_DIR ?? path.join(PROJECT_ROOT, '.airlock', 'logs', 'hosts'),
    env: process.env,
    log,
  });
  const manager = new PoolManager({ client, driver, bounds: scaling.bounds, intervalMs: scaling.intervalMs, log });
  manager.start();
  log.info({ ...scaling.bounds }, 'pool manager started');
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  log.info('stopping: draining every host worker');
  await manager.stop();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `airlock pool manager failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
