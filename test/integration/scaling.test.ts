import path from 'node:path';
import { createLogger } from '../../lib/node/logger';
import { LocalProcessDriver } from '../../workers/pool-manager/local-driver';
import { PoolManager } from '../../workers/pool-manager/manager';
import { TestCluster } from '../support/cluster';
import { containersOf, eventually } from '../support/docker';
import { TEST_CLUSTER, TEST_DIR, readTestEnv } from '../support/test-env';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start();
});

afterAll(async () => {
  await cluster?.stop();
});

describe('draining and scaling host workers', () => {
  test('SIGTERM drains a host: the sandbox it holds finishes, then the worker exits cleanly', async () => {
    const { executionId } = await cluster.submit({
      language: 'python',
      code: 'import time\nprint("started", flush=True)\ntime.sleep(4)\nprint("finished")',
    });
    await cluster.waitForStage(executionId, 'run', 'running');
    const exited = new Promise<number | null>((resolve) => cluster.host.child.once('exit', (code) => resolve(code)));
    await cluster.host.stop();
    const result = await cluster.result(executionId);
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('started\nfinished\n');
    expect(result.stages.find((s) => s.name === 'teardown')?.detail).toBe('container removed');
    expect(await exited).toBe(0);
    expect(cluster.host.logText()).toContain('"msg":"drained"');
    expect(await containersOf(cluster.docker, executionId)).toEqual([]);
  });

  test('the pool manager starts host workers for waiting work and drains them once quiet', async () => {
    // Only the manager's workers serve the hosts queue here.
    await cluster.host.stop();
    const log = createLogger('pool-manager-test', 'silent');
    const driver = new LocalProcessDriver({
      hostIdPrefix: `scaled-${process.pid}`,
      logDir: path.join(TEST_DIR, 'scaled-hosts'),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: readTestEnv().server.address,
        AIRLOCK_CLUSTER: TEST_CLUSTER,
        AIRLOCK_WORKER_METRICS_PORT: '0',
        AIRLOCK_WARM_PAGE_CACHE: 'false',
      },
      log,
    });
    const manager = new PoolManager({
      client: cluster.client,
      driver,
      bounds: { minWorkers: 0, maxWorkers: 2, backlogPerWorker: 8, maxBacklogAgeMs: 200, scaleInAfterMs: 1_000 },
      intervalMs: 250,
      log,
    });
    try {
      manager.start();
      expect(driver.serving).toBe(0);
      const { executionId } = await cluster.submit({ language: 'python', code: 'print("scaled")' });
      const result = await cluster.result(executionId);
      expect(result.status).toBe('succeeded');
      // One of the manager's workers served it (under load it may have started a second).
      expect(result.host).toMatch(new RegExp(`^scaled-${process.pid}-[01]$`));
      // Quiet again: back to the minimum, through a drain.
      await eventually('the manager to scale in to zero', async () => driver.serving === 0, 120_000);
    } finally {
      await manager.stop();
    }
    expect(driver.hostIds()).toEqual([]);
  });
});
