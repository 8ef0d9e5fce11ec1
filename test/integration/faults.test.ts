import request from 'supertest';
import { TestCluster } from '../support/cluster';
import { createTestApi } from '../support/api';
import { containersOf, eventually } from '../support/docker';
import { killDevServer, restartDevServer } from '../support/temporal-server';
import { readTestEnv, writeTestEnv } from '../support/test-env';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ reaperIntervalMs: 1_000 });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('faults mid-run', () => {
  test('host worker killed: the execution ends, and the reaper removes the container once the host is back', async () => {
    const { executionId } = await cluster.submit({
      language: 'python',
      code: 'import time\nprint("working", flush=True)\ntime.sleep(300)',
      limits: { timeoutMs: 300_000 },
    });
    await cluster.waitForStage(executionId, 'run', 'running');
    await cluster.host.kill();

    const result = await cluster.result(executionId);
    expect(result.status).toBe('internal_error');
    expect(result.error?.type).toBe('HostLost');
    expect(result.stages.find((s) => s.name === 'run')?.outcome).toBe('failed');
    expect(result.stages.find((s) => s.name === 'teardown')?.detail).toMatch(/^deferred to the reaper/);
    // Nobody was left to remove it...
    expect(await containersOf(cluster.docker, executionId)).toHaveLength(1);

    // ...until the host comes back: its reaper sees the execution has closed.
    await cluster.restartHost({ reaperIntervalMs: 1_000 });
    await eventually(
      'the reaper to remove the container',
      async () => (await containersOf(cluster.docker, executionId)).length === 0,
    );
    // The log line reaches us through the worker's stdout pipe, a moment after the removal itself.
    await eventually('the reaper to log why', async () =>
      cluster.host.logText().includes(`"executionId":"${executionId}","reason":"execution_closed"`),
    );
  });

  test('host lost under a sandbox: the step and the sandbox end lost, and the container is reaped on return', async () => {
    const api = createTestApi(cluster);
    const auth = { authorization: `Bearer ${api.key}` };
    const created = await request(api.app).post('/v1/sandboxes').set(auth).send({ language: 'python' });
    expect(created.body.status).toBe('ready');
    const id: string = created.body.id;
    await cluster.host.kill();

    // The step waits for a host that never takes it, then answers what happened.
    const step = await request(api.app).post(`/v1/sandboxes/${id}/exec`).set(auth).send({ code: 'print(1)' });
    expect(step.status).toBe(200);
    expect(step.body).toMatchObject({ status: 'internal_error', error: { type: 'HostLost' } });
    const lost = await request(api.app).get(`/v1/sandboxes/${id}`).set(auth);
    expect(lost.body).toMatchObject({ status: 'lost', end: { reason: 'host_lost' } });
    const refused = await request(api.app).post(`/v1/sandboxes/${id}/exec`).set(auth).send({ code: 'print(1)' });
    expect(refused.status).toBe(409);
    expect(await containersOf(cluster.docker, id)).toHaveLength(1);

    await cluster.restartHost({ reaperIntervalMs: 1_000 });
    await eventually(
      'the reaper to remove the lost sandbox',
      async () => (await containersOf(cluster.docker, id)).length === 0,
    );
  });

  test('Temporal server killed and restarted mid-run: the execution completes', async () => {
    const { executionId } = await cluster.submit({
      language: 'python',
      code: 'import time\nprint("before", flush=True)\ntime.sleep(5)\nprint("after")',
      limits: { timeoutMs: 60_000 },
    });
    await cluster.waitForStage(executionId, 'run', 'running');

    const env = readTestEnv();
    await killDevServer(env.server, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    writeTestEnv({ ...env, server: await restartDevServer(env.server) });

    const result = await cluster.result(executionId);
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('before\nafter\n');
    expect(result.stages.find((s) => s.name === 'teardown')?.outcome).toBe('succeeded');
    expect(await containersOf(cluster.docker, executionId)).toEqual([]);
  });
});
