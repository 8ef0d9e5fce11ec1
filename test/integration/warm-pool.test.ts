import Docker from 'dockerode';
import { createProfileResolver } from '../../activities/host/provision';
import { WarmPool, type PoolProfile } from '../../activities/containers/warm-pool';
import type { PoolBounds } from '../../activities/containers/pool-sizing';
import { LABELS, POOL_NAME_PREFIX } from '../../lib/containers';
import { createLogger } from '../../lib/node/logger';
import { AirlockMetrics } from '../../lib/node/metrics';
import { loadPolicies } from '../../lib/node/policies';
import { loadRuntimes } from '../../lib/node/runtimes';
import { loadSeccompProfiles } from '../../lib/node/seccomp';
import { Reaper } from '../../activities/containers/reaper';
import { prewarmProfiles } from '../../workers/pool-prewarm';
import { TestCluster } from '../support/cluster';
import { containersOf, containersWithLabels, eventually, removeContainers, testSupervisor } from '../support/docker';
import { TEST_CLUSTER } from '../support/test-env';

const docker = new Docker();
const hostId = `pool-host-${process.pid}`;
const hostLabels = [`${LABELS.cluster}=${TEST_CLUSTER}`, `${LABELS.host}=${hostId}`];
const bounds: PoolBounds = { minIdle: 1, maxIdle: 3, maxTotalIdle: 6, idleTtlMs: 60_000, refillConcurrency: 2 };
const log = createLogger('warm-pool-test', 'silent');
let cluster: TestCluster;
let python: PoolProfile;
const pools: WarmPool[] = [];

function newPool(metrics?: AirlockMetrics): WarmPool {
  const pool = new WarmPool({ docker, cluster: TEST_CLUSTER, hostId, bounds, log, ...(metrics ? { metrics } : {}) });
  pools.push(pool);
  return pool;
}

async function poolContainers(): Promise<Docker.ContainerInfo[]> {
  return (await containersWithLabels(docker, hostLabels)).filter((c) => c.Labels[LABELS.pool]);
}

const idleCount = async (pool: WarmPool) => pool.stats().reduce((sum, s) => sum + s.idle, 0);

beforeAll(async () => {
  cluster = await TestCluster.start();
  const { profiles } = prewarmProfiles(['python'], loadPolicies(), loadRuntimes());
  const resolve = createProfileResolver({
    docker,
    hostId,
    seccompProfiles: loadSeccompProfiles(),
    runtimes: new Set(['runc']),
    supervisor: await testSupervisor(),
  });
  python = (await resolve(profiles[0]!)).profile;
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.drain()));
  await removeContainers(docker, hostLabels);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('warm pool', () => {
  test('keeps a prewarmed profile warm with containers that carry nothing of a request', async () => {
    const pool = newPool();
    await pool.start([python]);
    await eventually('the pool to fill', async () => (await idleCount(pool)) >= bounds.minIdle);
    const [info] = await poolContainers();
    expect(info!.Names[0]).toMatch(new RegExp(`^/${POOL_NAME_PREFIX}[0-9a-f]{16}$`));
    expect(info!.Labels[LABELS.execution]).toBeUndefined();
    expect(info!.State).toBe('running');
    const inspected = await docker.getContainer(info!.Id).inspect();
    // Only the server's fixed environment; a request's env goes to each exec.
    expect(inspected.Config.Env.sort()).toEqual(
      ['HOME=/workspace', 'LANG=C.UTF-8', 'PATH=/usr/local/bin:/usr/bin:/bin', 'TMPDIR=/tmp'].sort(),
    );
    expect(inspected.HostConfig.NetworkMode).toBe('none');
    expect(inspected.HostConfig.ReadonlyRootfs).toBe(true);
  });

  test('a claim renames an idle container to the execution, counts a hit, and the pool refills', async () => {
    const metrics = new AirlockMetrics('test');
    const pool = newPool(metrics);
    await pool.start([python]);
    await eventually('the pool to fill', async () => (await idleCount(pool)) >= 1);
    const claimed = await pool.claim(python, 'airlock-ex_pooltest');
    expect(claimed).toBeDefined();
    const inspected = await claimed!.container.inspect();
    expect(inspected.Name).toBe('/airlock-ex_pooltest');
    expect(inspected.State.Running).toBe(true);
    expect(pool.holds(inspected.Name)).toBe(false);
    // Demand makes the pool aim above its floor, and it refills in the background.
    await eventually('the pool to refill', async () => (await idleCount(pool)) >= 1);
    expect(pool.stats()[0]!.target).toBeGreaterThanOrEqual(2);
    const hits = (await metrics.poolClaims.get()).values.find((v) => v.labels.result === 'hit');
    expect(hits?.value).toBe(1);
  });

  test('a profile nobody prewarmed misses once, then gets a pool of its own', async () => {
    const pool = newPool();
    await pool.start([]);
    const bigger: PoolProfile = { ...python, limits: { ...python.limits, memoryMb: python.limits.memoryMb * 2 } };
    expect(await pool.claim(bigger, 'airlock-ex_first')).toBeUndefined();
    await eventually('a pool for the new profile', async () => pool.stats().some((s) => s.idle >= 1));
    const again = await pool.claim(bigger, 'airlock-ex_second');
    expect(again).toBeDefined();
    const memory = (await again!.container.inspect()).HostConfig.Memory;
    expect(memory).toBe(bigger.limits.memoryMb * 1024 * 1024);
  });

  test('an earlier process left idle containers: the next start removes them, the reaper spares held ones', async () => {
    const crashed = newPool();
    await crashed.start([python]);
    await eventually('the pool to fill', async () => (await idleCount(crashed)) >= 1);
    const leftover = (await poolContainers()).map((c) => c.Id);

    // The reaper of the process that holds them spares them.
    const reaperOf = (pool?: WarmPool) =>
      new Reaper({
        docker,
        client: cluster.client,
        hostId,
        cluster: TEST_CLUSTER,
        intervalMs: 60_000,
        log,
        ...(pool ? { pool } : {}),
      });
    expect(await reaperOf(crashed).sweep()).toEqual([]);

    // A restarted pool clears what the earlier process held before it fills again.
    const restarted = newPool();
    await restarted.start([python]);
    await eventually('the restarted pool to fill', async () => (await idleCount(restarted)) >= 1);
    const ids = (await poolContainers()).map((c) => c.Id);
    expect(ids.some((id) => leftover.includes(id))).toBe(false);

    // A reaper whose process holds none of them treats them as stale.
    const reaped = await reaperOf().sweep();
    expect(reaped.length).toBeGreaterThanOrEqual(1);
    expect(new Set(reaped.map((r) => r.reason))).toEqual(new Set(['pool_stale']));
  });

  test('after an engine restart stopped its idle containers, a claim misses and the pool starts over', async () => {
    const pool = newPool();
    await pool.start([python]);
    await eventually('the pool to fill', async () => (await idleCount(pool)) >= 1);
    const stopped = await poolContainers();
    await Promise.all(stopped.map((c) => docker.getContainer(c.Id).kill()));
    expect(await pool.claim(python, 'airlock-ex_after-restart')).toBeUndefined();
    await eventually('the stopped containers to go', async () => {
      const ids = (await poolContainers()).map((c) => c.Id);
      return !stopped.some((c) => ids.includes(c.Id));
    });
    await eventually('fresh, running ones to replace them', async () => {
      const running = (await poolContainers()).filter((c) => c.State === 'running');
      return running.length >= 1 && (await idleCount(pool)) >= 1;
    });
    const claimed = await pool.claim(python, 'airlock-ex_after-refill');
    expect((await claimed!.container.inspect()).State.Running).toBe(true);
  });

  test('drain removes every idle container', async () => {
    const pool = newPool();
    await pool.start([python]);
    await eventually('the pool to fill', async () => (await idleCount(pool)) >= 1);
    await pool.drain();
    expect(await poolContainers()).toEqual([]);
    expect(await pool.claim(python, 'airlock-ex_after-drain')).toBeUndefined();
  });

  test('through the whole pipeline: a warm container serves the execution and is destroyed after it', async () => {
    const idleOnClusterHost = async () =>
      (
        await containersWithLabels(docker, [
          `${LABELS.cluster}=${TEST_CLUSTER}`,
          `${LABELS.host}=${cluster.hostId}`,
          LABELS.pool,
        ])
      ).filter((c) => c.Names[0]!.startsWith(`/${POOL_NAME_PREFIX}`));
    for (const n of [1, 2]) {
      await eventually('a warm container on the host', async () => (await idleOnClusterHost()).length > 0);
      const { executionId } = await cluster.submit({ language: 'python', code: `print(${n} * 21)` });
      const result = await cluster.result(executionId);
      expect(result.status).toBe('succeeded');
      expect(result.run?.stdout).toBe(`${n * 21}\n`);
      expect(result.stages.find((s) => s.name === 'provision')?.detail).toBe('warm container from the pool');
      // Used once: the claimed container, renamed for the execution, is gone with it.
      expect(await containersOf(docker, executionId)).toEqual([]);
    }
  });
});
