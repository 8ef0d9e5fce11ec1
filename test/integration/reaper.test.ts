import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { HostLedger } from '../../activities/host/host-ledger';
import { sandboxContainerSpec } from '../../activities/containers/container-spec';
import { containerNameFor } from '../../lib/containers';
import { loadRuntimes } from '../../lib/node/runtimes';
import { createLogger } from '../../lib/node/logger';
import { AirlockMetrics } from '../../lib/node/metrics';
import { Reaper } from '../../activities/containers/reaper';
import { loadSeccompProfiles } from '../../lib/node/seccomp';
import { TestCluster } from '../support/cluster';
import { containersOf, testSupervisor } from '../support/docker';
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

/**
 * A labelled sandbox container as provision would make it, without an execution behind it; or, with
 * `claimedFromPool`, one made for the warm pool and then claimed (renamed), so its labels are the pool's.
 */
async function sandbox(executionId: string, deadlineAt: number, claimedFromPool = false): Promise<void> {
  const labels = claimedFromPool
    ? { cluster: TEST_CLUSTER, hostId, poolKey: 'test-profile' }
    : { cluster: TEST_CLUSTER, executionId, hostId, deadlineAt };
  const container = await docker.createContainer(
    sandboxContainerSpec({
      name: containerNameFor(executionId),
      image: loadRuntimes().get('python')!.tag,
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
      supervisor: await testSupervisor(),
      labels,
    }),
  );
  await container.start();
}

function reaper(
  host = hostId,
  cluster_ = TEST_CLUSTER,
  ledger?: HostLedger,
  extra: { engine?: Docker; metrics?: AirlockMetrics } = {},
): Reaper {
  return new Reaper({
    docker: extra.engine ?? docker,
    ...(extra.metrics ? { metrics: extra.metrics } : {}),
    client: cluster.client,
    hostId: host,
    cluster: cluster_,
    ...(ledger ? { ledger } : {}),
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

  test('a claimed pool container past the deadline its host recorded is overdue, and its record goes with it', async () => {
    const ledger = new HostLedger(fs.mkdtempSync(path.join(os.tmpdir(), 'reaper-ledger-')));
    const claimed = `ex_${'d'.repeat(32)}`;
    await ledger.recordDeadline(claimed, Date.now() - 60_000);
    await sandbox(claimed, 0, true);

    const reaped = await reaper(hostId, TEST_CLUSTER, ledger).sweep();
    expect(reaped.map((r) => [r.executionId, r.reason])).toEqual([[claimed, 'overdue']]);
    expect(await containersOf(docker, claimed)).toEqual([]);
    expect(await ledger.deadlineOf(claimed)).toBeUndefined();
  });

  test('a container a dead worker left paused is thawed before the host takes work', async () => {
    const frozen = `ex_${'e'.repeat(32)}`;
    await sandbox(frozen, Date.now() + 600_000);
    const container = docker.getContainer(containerNameFor(frozen));
    await container.pause();
    try {
      expect(await reaper().thawPaused()).toBe(1);
      expect((await container.inspect()).State.Paused).toBe(false);
      expect(await reaper().thawPaused()).toBe(0);
    } finally {
      await container.remove({ force: true });
    }
  });

  test('a container the engine refuses to remove does not shield the others, and is counted', async () => {
    const [before, refused, after] = ['1', '2', '3'].map((c) => `ex_${c.repeat(32)}`) as [string, string, string];
    for (const id of [before, refused, after]) await sandbox(id, Date.now() - 60_000);
    // The real engine, except that it answers one removal as a conflict, as it does mid-removal.
    const refusedName = containerNameFor(refused);
    const refusing = new Proxy(docker, {
      get(target, prop, receiver) {
        if (prop !== 'getContainer') return Reflect.get(target, prop, receiver) as unknown;
        return (id: string) => {
          const container = target.getContainer(id);
          return new Proxy(container, {
            get(c, p, r) {
              if (p !== 'remove') return Reflect.get(c, p, r) as unknown;
              return async (opts: object) => {
                const { Name } = await c.inspect();
                if (Name === `/${refusedName}`) {
                  throw Object.assign(new Error('removal of container is already in progress'), { statusCode: 409 });
                }
                return c.remove(opts);
              };
            },
          });
        };
      },
    });
    const metrics = new AirlockMetrics('reaper-test');
    try {
      const reaped = await reaper(hostId, TEST_CLUSTER, undefined, { engine: refusing, metrics }).sweep();
      expect(reaped.map((r) => r.executionId).sort()).toEqual([before, after].sort());
      expect(await containersOf(docker, before)).toEqual([]);
      expect(await containersOf(docker, after)).toEqual([]);
      expect(await containersOf(docker, refused)).toHaveLength(1);
      expect(await metrics.registry.getSingleMetricAsString('airlock_reaper_failures_total')).toMatch(
        /^airlock_reaper_failures_total{role="reaper-test"} 1$/m,
      );
      // The engine answered the listing: this host's engine is up, as its metrics say.
      expect(await metrics.registry.getSingleMetricAsString('airlock_engine_up')).toMatch(
        /^airlock_engine_up{role="reaper-test"} 1$/m,
      );
    } finally {
      await reaper().sweep();
    }
    expect(await containersOf(docker, refused)).toEqual([]);
  });

  test('an engine that does not answer reads as down on the metrics', async () => {
    const metrics = new AirlockMetrics('reaper-test');
    const gone = new Docker({ socketPath: '/nonexistent/docker.sock' });
    await expect(reaper(hostId, TEST_CLUSTER, undefined, { engine: gone, metrics }).sweep()).rejects.toThrow();
    expect(await metrics.registry.getSingleMetricAsString('airlock_engine_up')).toMatch(
      /^airlock_engine_up{role="reaper-test"} 0$/m,
    );
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
