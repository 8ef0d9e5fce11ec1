import Docker from 'dockerode';
import { sandboxContainerSpec } from '../../activities/host/container-spec';
import { containerNameFor, imageTagFor } from '../../lib/containers';
import { createLogger } from '../../lib/logger';
import { Reaper } from '../../workers/reaper';
import { loadSeccompProfiles } from '../../lib/seccomp';
import { TestCluster } from '../support/cluster';
import { containersOf } from '../support/docker';
import { TEST_CLUSTER } from '../support/test-env';

let cluster: TestCluster;
const docker = new Docker();
const hostId = `reaper-host-${process.pid}`;

beforeAll(async () => {
  // These sweeps act for the cluster's host from this process; a warm pool's idle containers are
  // its worker's, which only that process's reaper may spare (test/integration/warm-pool.test.ts).
  cluster = await TestCluster.start({ hostEnv: { AIRLOCK_POOL_MAX_IDLE: '0' } });
});

afterAll(async () => {
  await cluster?.stop();
});

/** A labelled sandbox container as provision would make it, without an execution behind it. */
async function sandbox(executionId: string, deadlineAt: number): Promise<void> {
  const container = await docker.createContainer(
    sandboxContainerSpec({
      name: containerNameFor(executionId),
      image: imageTagFor('python'),
      limits: {
        timeoutMs: 1000,
        cpuTimeMs: 1000,
        memoryMb: 64,
        cpus: 0.5,
        pids: 16,
        openFiles: 64,
        fileSizeMb: 1,
        outputBytes: 1024,
        testTimeoutMs: 1000,
      },
      container: { memoryMb: 64, cpuTimeMs: 1000 },
      runtime: 'runc',
      seccompJson: loadSeccompProfiles().get('strict')!.json,
      labels: { cluster: TEST_CLUSTER, executionId, hostId, deadlineAt },
    }),
  );
  await container.start();
}

function reaper(host = hostId, cluster_ = TEST_CLUSTER): Reaper {
  return new Reaper({
    docker,
    client: cluster.client,
    hostId: host,
    cluster: cluster_,
    intervalMs: 60_000,
    log: createLogger('reaper-test', 'silent'),
  });
}

describe('reaper', () => {
  test('removes containers whose execution is unknown or overdue, and keeps those of running executions', async () => {
    const unknown = `ex_${'a'.repeat(32)}`;
    await sandbox(unknown, Date.now() + 600_000);

    const { executionId: running } = await cluster.submit({
      language: 'python',
      code: 'import time\ntime.sleep(60)',
      limits: { timeoutMs: 60_000 },
    });
    await cluster.waitForStage(running, 'run', 'running');
    // The running execution's container belongs to the cluster's host; give it a twin on this host that is overdue.
    const overdue = `ex_${'b'.repeat(32)}`;
    await sandbox(overdue, Date.now() - 60_000);

    const reaped = await reaper().sweep();
    expect(reaped.map((r) => [r.executionId, r.reason]).sort()).toEqual([
      [unknown, 'execution_unknown'],
      [overdue, 'overdue'],
    ]);
    expect(await containersOf(docker, unknown)).toEqual([]);
    expect(await containersOf(docker, overdue)).toEqual([]);

    // The running execution's own host reaper leaves it alone.
    expect(await reaper(cluster.hostId).sweep()).toEqual([]);
    expect(await containersOf(docker, running)).toHaveLength(1);
    await cluster.executions.cancel(running, 'default');
    expect((await cluster.result(running)).status).toBe('cancelled');
  });

  test("never touches another host's or another cluster's containers", async () => {
    const foreign = `ex_${'c'.repeat(32)}`;
    await sandbox(foreign, Date.now() - 60_000);
    try {
      expect(await reaper('some-other-host').sweep()).toEqual([]);
      expect(await reaper(hostId, 'another-cluster').sweep()).toEqual([]);
      expect(await containersOf(docker, foreign)).toHaveLength(1);
    } finally {
      await reaper().sweep();
    }
    expect(await containersOf(docker, foreign)).toEqual([]);
  });
});
