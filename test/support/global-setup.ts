import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { Connection } from '@temporalio/client';
import { LABELS } from '../../lib/containers';
import { ensureSearchAttributes } from '../../lib/node/temporal';
import { startDevServer } from './temporal-server';
import { IDLE_NAMESPACE, TEST_CLUSTER, TEST_DIR, TLS_NAMESPACE, writeTestEnv } from './test-env';
import { removeContainers } from './docker';
import { warmImagePageCache } from '../../activities/containers/page-cache-warmer';

/** One Temporal dev server for the whole run, on a fresh SQLite file. */
export default async function globalSetup(): Promise<void> {
  fs.rmSync(TEST_DIR, { recursive: true, force: true });
  fs.mkdirSync(TEST_DIR, { recursive: true });
  // Containers from an earlier, interrupted run belong to a server that no longer exists.
  const docker = new Docker();
  await removeContainers(docker, [`${LABELS.cluster}=${TEST_CLUSTER}`]);
  // As a host worker does at start: memory-limit tests must not depend on what is cached.
  await warmImagePageCache(docker);
  const server = await startDevServer({
    dbFile: path.join(TEST_DIR, 'temporal.db'),
    logFile: path.join(TEST_DIR, 'temporal.log'),
    namespaces: [TLS_NAMESPACE, IDLE_NAMESPACE],
  });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default');
  await connection.close();
  writeTestEnv({ server, namespace: 'default' });
}
