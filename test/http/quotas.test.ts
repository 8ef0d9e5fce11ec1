/**
 * Tenant quotas on a real cluster, as a client over them sees them: 429 with `Retry-After` and
 * `RateLimit-*` (and the SDK's retries getting through once there is room), queueing, sandboxes,
 * a sandbox's step queue, the request rate, and a lease freed by the sweep when its holder was
 * terminated. Each test has a tenant of its own, so their quotas do not meet.
 */
import request from 'supertest';
import type { Express } from 'express';
import { Airlock } from '../../sdk/src';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import type { TenantQuotas } from '../../lib/schemas/quotas';
import { TestCluster } from '../support/cluster';
import { containersOf, eventually } from '../support/docker';
import { createTestApi, listen, type TestApi } from '../support/api';

let cluster: TestCluster;
let api: TestApi;
let app: Express;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  // A quick reaper, so the terminated holder's container goes too.
  cluster = await TestCluster.start({ reaperIntervalMs: 1_000 });
  // A short sweep, so a terminated holder's lease comes back within the test.
  api = createTestApi(cluster, { leaseSweep: { intervalMs: 1_000, graceMs: 500 } });
  app = api.app;
  server = await listen(app);
});

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

/** A key of a tenant of its own, with these quotas. */
function tenantWith(tenant: string, quotas: TenantQuotas): string {
  const { key } = api.keys.create(tenant, 'tests');
  api.keys.setQuotas(tenant, quotas);
  return key;
}

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const submit = (key: string, body: object, wait = false) =>
  request(app)
    .post(`/v1/executions${wait ? '?wait=true' : ''}`)
    .set(auth(key))
    .send(body);
const sleeper = (seconds: number) => ({
  language: 'python',
  code: `import time\ntime.sleep(${seconds})\nprint('done')`,
});
const sdk = (key: string) =>
  new Airlock({ baseUrl: server.url, apiKey: key, maxRetries: 20, retryBackoff: { baseMs: 100, maxMs: 1_000 } });
const resultOf = async (key: string, id: string): Promise<ExecutionResult> => {
  const res = await request(app).get(`/v1/executions/${id}`).set(auth(key));
  return res.body as ExecutionResult;
};
/** The execution's final result, teardown done: the workflow's own. */
const finished = async (_key: string, id: string): Promise<ExecutionResult> =>
  (await cluster.client.workflow.getHandle(id).result()) as ExecutionResult;
const stageOf = (result: ExecutionResult, name: string) => result.stages.find((s) => s.name === name)!;

test('over its executions quota a tenant gets 429 with its headers; the SDK retries until there is room', async () => {
  const key = tenantWith('quota-refuse', { executions: 1 });
  const first = await submit(key, sleeper(3));
  expect(first.status).toBe(202);

  const over = await submit(key, { language: 'python', code: 'print(1)' });
  expect(over.status).toBe(429);
  expect(over.headers).toMatchObject({
    'retry-after': '1',
    'ratelimit-limit': '1',
    'ratelimit-remaining': '0',
    'ratelimit-reset': '1',
  });
  expect(over.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'executions', limit: 1, inUse: 1 });

  // Another tenant is not held back by this one's quota.
  const other = await submit(api.otherTenantKey, { language: 'python', code: 'print(2)' }, true);
  expect(other.body).toMatchObject({ status: 'succeeded', run: { stdout: '2\n' } });

  // The SDK's retries get through once the first has torn down, and not before.
  const second = await sdk(key).executions.run({ language: 'python', code: 'print(3)' });
  expect(second).toMatchObject({ status: 'succeeded', run: { stdout: '3\n' } });
  const firstDone = await finished(key, first.body.id);
  expect(Date.parse(second.createdAt)).toBeGreaterThanOrEqual(Date.parse(stageOf(firstDone, 'teardown').finishedAt!));
});

test('with overQuota queue, executions wait their turn one at a time, and a queued one can be cancelled', async () => {
  const key = tenantWith('quota-queue', { executions: 1, overQuota: 'queue' });
  const ids: string[] = [];
  for (const seconds of [1, 1, 1]) {
    const res = await submit(key, sleeper(seconds));
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  // A queued request sent again with its key (a client's retry) is the same execution, and still runs.
  const keyed = () => request(app).post('/v1/executions').set(auth(key)).set('Idempotency-Key', 'q1').send(sleeper(0));
  const retriedFirst = await keyed();
  const retriedAgain = await keyed();
  expect(retriedAgain.status).toBe(202);
  expect(retriedAgain.body.id).toBe(retriedFirst.body.id);
  ids.push(retriedFirst.body.id);
  const cancelled = await submit(key, sleeper(1));
  expect((await resultOf(key, cancelled.body.id)).status).toBe('queued');
  expect((await request(app).post(`/v1/executions/${cancelled.body.id}/cancel`).set(auth(key))).status).toBe(202);

  const results = await Promise.all(ids.map((id) => finished(key, id)));
  for (const result of results) expect(result).toMatchObject({ status: 'succeeded', run: { stdout: 'done\n' } });
  // Never two at once: each provisions only after the one before has torn down.
  const byStart = [...results].sort(
    (a, b) => Date.parse(stageOf(a, 'provision').startedAt!) - Date.parse(stageOf(b, 'provision').startedAt!),
  );
  for (let i = 1; i < byStart.length; i++) {
    expect(Date.parse(stageOf(byStart[i]!, 'provision').startedAt!)).toBeGreaterThanOrEqual(
      Date.parse(stageOf(byStart[i - 1]!, 'teardown').finishedAt!),
    );
  }
  const gone = await finished(key, cancelled.body.id);
  expect(gone.status).toBe('cancelled');
  expect(stageOf(gone, 'provision').outcome).not.toBe('succeeded');
});

test('a request alone over a memory quota is a 400 naming the field, in a batch too', async () => {
  const key = tenantWith('quota-memory', { memoryMb: 200 });
  const alone = await submit(key, { language: 'python', code: 'print(1)', limits: { memoryMb: 256 } });
  expect(alone.status).toBe(400);
  expect(alone.body.error).toMatchObject({ code: 'exceeds_quota', field: 'limits.memoryMb' });
  const batch = await request(app)
    .post('/v1/executions/batch')
    .set(auth(key))
    .send({
      executions: [
        { language: 'python', code: 'print(1)', limits: { memoryMb: 64 } },
        { language: 'python', code: 'print(2)', limits: { memoryMb: 512 } },
      ],
    });
  expect(batch.status).toBe(400);
  expect(batch.body.error).toMatchObject({ code: 'exceeds_quota', field: 'executions.1.limits.memoryMb' });
  // Within it, it runs.
  const fits = await submit(key, { language: 'python', code: 'print(1)', limits: { memoryMb: 128 } }, true);
  expect(fits.body).toMatchObject({ status: 'succeeded' });
});

test('a batch over the quota answers 429 with what started; a retry with its key starts only the rest', async () => {
  const key = tenantWith('quota-batch', { executions: 2 });
  const body = { executions: [sleeper(1), sleeper(1), sleeper(1)] };
  const send = () => request(app).post('/v1/executions/batch').set(auth(key)).set('Idempotency-Key', 'b1').send(body);
  const partial = await send();
  expect(partial.status).toBe(429);
  expect(partial.headers['retry-after']).toBe('1');
  expect(partial.body.error.started).toHaveLength(2);
  expect(partial.body.error.failed).toEqual([expect.objectContaining({ index: 2, code: 'quota_exceeded' })]);
  await Promise.all(partial.body.error.started.map(({ id }: { id: string }) => finished(key, id)));
  const retried = await send();
  expect(retried.status).toBe(202);
  expect(retried.body.ids.slice(0, 2)).toEqual(partial.body.error.started.map((s: { id: string }) => s.id));
  const results = await Promise.all(retried.body.ids.map((id: string) => finished(key, id)));
  expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
});

test('live sandboxes count against the quota until closed; a full step queue answers 429', async () => {
  const key = tenantWith('quota-sandbox', { sandboxes: 1, queuedSteps: 1 });
  const first = await request(app).post('/v1/sandboxes').set(auth(key)).send({ language: 'python' });
  expect(first.status).toBe(201);
  const id = first.body.id as string;

  const over = await request(app).post('/v1/sandboxes').set(auth(key)).send({ language: 'python' });
  expect(over.status).toBe(429);
  expect(over.headers).toMatchObject({ 'retry-after': '5', 'ratelimit-limit': '1', 'ratelimit-remaining': '0' });
  expect(over.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'sandboxes' });

  const step = (code: string) => request(app).post(`/v1/sandboxes/${id}/exec?wait=false`).set(auth(key)).send({ code });
  expect((await step('import time\ntime.sleep(3)')).status).toBe(202);
  await eventually('the first step to run', async () => {
    const info = await request(app).get(`/v1/sandboxes/${id}`).set(auth(key));
    return info.body.status === 'busy';
  });
  expect((await step('print(1)')).status).toBe(202);
  const full = await step('print(2)');
  expect(full.status).toBe(429);
  expect(full.headers).toMatchObject({ 'retry-after': '1', 'ratelimit-limit': '1', 'ratelimit-remaining': '0' });
  expect(full.body.error.code).toBe('step_queue_full');

  expect((await request(app).delete(`/v1/sandboxes/${id}`).set(auth(key))).body.status).toBe('closed');
  // Closed and torn down: its lease is back, and the SDK gets a new one.
  const next = await sdk(key).sandboxes.create({ language: 'python' });
  try {
    expect(next.info.status).toBe('ready');
  } finally {
    await next.close();
  }
});

test("a key over its tenant's request rate gets 429 with Retry-After; the SDK waits it out", async () => {
  const key = tenantWith('quota-rate', { requestsPerSecond: 1, burst: 2 });
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await request(app).get('/v1/runtimes').set(auth(key)));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
  expect(answers[0]!.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1' });
  expect(answers[2]!.headers).toMatchObject({ 'retry-after': '1', 'ratelimit-remaining': '0' });
  expect(answers[2]!.body.error.code).toBe('rate_limited');
  // Each key has a bucket of its own.
  const { key: second } = api.keys.create('quota-rate', 'second');
  expect((await request(app).get('/v1/runtimes').set(auth(second))).status).toBe(200);
  expect((await sdk(key).runtimes()).length).toBeGreaterThan(0);
});

test("a terminated execution's lease is freed by the sweep, so its tenant is not locked out", async () => {
  const key = tenantWith('quota-sweep', { executions: 1 });
  const held = await submit(key, sleeper(60));
  await eventually('the holder to run', async () => (await resultOf(key, held.body.id)).status === 'running');
  // Terminated: no teardown, no release; only the sweep can know.
  await cluster.client.workflow.getHandle(held.body.id).terminate('test: a holder that never gives its lease back');
  expect((await submit(key, { language: 'python', code: 'print(1)' })).status).toBe(429);
  const after = await sdk(key).executions.run({ language: 'python', code: 'print(1)' });
  expect(after.status).toBe('succeeded');
  await eventually(
    'the terminated container to be reaped',
    async () => (await containersOf(cluster.docker, held.body.id)).length === 0,
    60_000,
  );
});

test("each of a tenant's workflows carries the tenant as its fairness key, for the task queues to take turns", async () => {
  const key = tenantWith('quota-fair', { executions: 5 });
  const execution = await submit(key, { language: 'python', code: 'print(1)' }, true);
  const sandbox = await request(app).post('/v1/sandboxes').set(auth(key)).send({ language: 'python' });
  try {
    for (const id of [execution.body.id, sandbox.body.id, 'airlock-quota-quota-fair']) {
      const { raw } = await cluster.client.workflow.getHandle(id).describe();
      expect(raw.workflowExecutionInfo?.priority?.fairnessKey).toBe('quota-fair');
    }
  } finally {
    await request(app).delete(`/v1/sandboxes/${sandbox.body.id}`).set(auth(key));
  }
});
