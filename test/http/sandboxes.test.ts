/**
 * Interactive sandboxes over HTTP on a real cluster: state across steps, idempotent and serialised
 * steps, teardown on close and on the idle timeout, tenant isolation, and live output of a step.
 */
import crypto from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { type SandboxInfo, type StepResult, MAX_SANDBOX_FILE_BYTES } from '../../lib/schemas/sandbox';
import { TestCluster } from '../support/cluster';
import { containersOf, eventually } from '../support/docker';
import { createTestApi, listen, type TestApi } from '../support/api';
import { readEvents, streamedText } from '../support/sse';
import type { SandboxInput } from '../../lib/sandbox-input';
import { ORCHESTRATION_QUEUE } from '../../lib/task-queues';
import type { sandboxWorkflow } from '../../workflows';
import { sandboxReadyUpdate, sandboxStepUpdate } from '../../workflows/messages';

let cluster: TestCluster;
let api: TestApi;
let app: Express;
let server: Awaited<ReturnType<typeof listen>>;
let baseUrl: string;

beforeAll(async () => {
  cluster = await TestCluster.start();
  // Small, so one test sees the workflow continue as new with the container carried over.
  api = createTestApi(cluster, { sandboxStepsPerRun: 3 });
  app = api.app;
  server = await listen(app);
  baseUrl = server.url;
});

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

const auth = (key = api.key) => ({ authorization: `Bearer ${key}` });
const create = (body: object, key?: string) => request(app).post('/v1/sandboxes').set(auth(key)).send(body);
const exec = (id: string, body: object, headers: Record<string, string> = {}, key?: string) =>
  request(app).post(`/v1/sandboxes/${id}/exec`).set(auth(key)).set(headers).send(body);
const readFile = (id: string, path: string, key?: string) =>
  request(app)
    .get(`/v1/sandboxes/${id}/files`)
    .query({ path })
    .set(auth(key))
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });

async function newSandbox(body: object = {}): Promise<SandboxInfo> {
  const res = await create({ language: 'python', ...body });
  expect(res.status).toBe(201);
  expect(res.body.status).toBe('ready');
  return res.body as SandboxInfo;
}

describe('sandboxes', () => {
  let sbx: SandboxInfo;

  beforeAll(async () => {
    sbx = await newSandbox({ files: [{ path: 'seed.txt', content: 'seeded\n' }] });
  });

  test('a created sandbox is ready on a host, with its limits and expiry', async () => {
    expect(sbx.id).toMatch(/^sbx_[0-9a-f]{32}$/);
    expect(sbx.host).toBe(cluster.hostId);
    expect(sbx.image?.tag).toBe('airlock/python:3.13');
    expect(sbx.idleTimeoutSeconds).toBe(300);
    expect(Date.parse(sbx.expiresAt) - Date.parse(sbx.createdAt)).toBe(3600_000);
    expect(await containersOf(cluster.docker, sbx.id)).toHaveLength(1);
  });

  test('a file written in step 1 is read by the program in step 2 and read back in step 3', async () => {
    const put = await request(app)
      .put(`/v1/sandboxes/${sbx.id}/files`)
      .query({ path: 'data/notes.txt' })
      .set(auth())
      .set('content-type', 'application/octet-stream')
      .send(Buffer.from('step one\n'));
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ path: 'data/notes.txt', bytes: 9, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const run = await exec(sbx.id, {
      code: "text = open('data/notes.txt').read() + open('seed.txt').read()\nopen('data/notes.txt', 'w').write(text + 'step two\\n')\nprint(len(text))",
    });
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('succeeded');
    expect(run.body.process.stdout).toBe('16\n');

    const read = await readFile(sbx.id, 'data/notes.txt');
    expect(read.status).toBe(200);
    expect((read.body as Buffer).toString()).toBe('step one\nseeded\nstep two\n');

    const list = await request(app).get(`/v1/sandboxes/${sbx.id}/files/list`).query({ path: 'data' }).set(auth());
    expect(list.body.entries).toEqual([expect.objectContaining({ name: 'notes.txt', type: 'file', bytes: 25 })]);
  });

  test('a command step runs in the same workspace', async () => {
    const res = await exec(sbx.id, { command: 'ls seed.txt && echo $((6*7))' });
    expect(res.body).toMatchObject({ kind: 'exec', status: 'succeeded', process: { stdout: 'seed.txt\n42\n' } });
    // `python` as well as `python3`: agents type either.
    const alias = await exec(sbx.id, { command: 'python -c "print(2 + 2)"' });
    expect(alias.body).toMatchObject({ status: 'succeeded', process: { stdout: '4\n' } });
    const failing = await exec(sbx.id, { command: ['python3', '-c', 'import sys; sys.exit(3)'] });
    expect(failing.body).toMatchObject({ status: 'runtime_error', process: { exitCode: 3 } });
  });

  test('a retried step with the same Idempotency-Key runs once and answers the same result', async () => {
    const body = { code: "open('counter.txt', 'a').write('x')\nprint(len(open('counter.txt').read()))" };
    const key = { 'idempotency-key': `count-${Date.now()}` };
    const first = await exec(sbx.id, body, key);
    const again = await exec(sbx.id, body, key);
    expect(first.body.status).toBe('succeeded');
    expect(again.body).toEqual(first.body);
    expect(first.body.stepId).toBe(key['idempotency-key']);
    expect((await readFile(sbx.id, 'counter.txt')).body.toString()).toBe('x');
  });

  test('a create retried with its Idempotency-Key finds the first sandbox; another body with it is refused', async () => {
    const key = `sbx-${Date.now()}`;
    const post = (body: object) =>
      request(app)
        .post('/v1/sandboxes')
        .set(auth())
        .set({ 'idempotency-key': key })
        .send({ language: 'python', ...body });
    const first = await post({ env: { WHO: 'first' } });
    expect(first.status).toBe(201);
    const again = await post({ env: { WHO: 'first' } });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    const other = await post({ env: { WHO: 'second' } });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'idempotency_key_reused', field: 'header.Idempotency-Key' });
    await request(app).delete(`/v1/sandboxes/${first.body.id}`).set(auth());
  });

  test('concurrent steps are serialised: none starts before the previous one has ended', async () => {
    const code = (n: number) =>
      `import time\nopen('order.log', 'a').write('start ${n}\\n')\ntime.sleep(0.4)\nopen('order.log', 'a').write('end ${n}\\n')`;
    const results = await Promise.all([1, 2, 3].map((n) => exec(sbx.id, { code: code(n) })));
    expect(results.map((r) => r.body.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const lines = (await readFile(sbx.id, 'order.log')).body.toString().trim().split('\n');
    expect(lines).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) expect(lines[i + 1]).toBe(lines[i]!.replace('start', 'end'));
    const indexes = results.map((r) => (r.body as StepResult).index).sort((a, b) => a - b);
    expect(new Set(indexes).size).toBe(3);
  });

  test('its state, steps so far and the recent steps are visible', async () => {
    const res = await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth());
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.steps).toBeGreaterThanOrEqual(8);
    expect(res.body.recentSteps.at(-1)).toMatchObject({ kind: expect.any(String), status: expect.any(String) });
    expect(Date.parse(res.body.lastActivityAt)).toBeGreaterThan(Date.parse(sbx.createdAt));
  });

  test('files and processes never reach another sandbox', async () => {
    const other = await newSandbox();
    const read = await readFile(other.id, 'data/notes.txt');
    expect(read.status).toBe(404);
    expect(JSON.parse(read.body.toString()).error.code).toBe('file_not_found');
    const ps = await exec(other.id, { command: 'ls /workspace' });
    expect(ps.body.process.stdout).toBe('');
    await request(app).delete(`/v1/sandboxes/${other.id}`).set(auth());
  });

  test("one tenant cannot reach another's sandbox", async () => {
    const other = api.otherTenantKey;
    expect((await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth(other))).status).toBe(404);
    expect((await exec(sbx.id, { code: 'print(1)' }, {}, other)).status).toBe(404);
    expect((await readFile(sbx.id, 'seed.txt', other)).status).toBe(404);
    expect((await request(app).delete(`/v1/sandboxes/${sbx.id}`).set(auth(other))).status).toBe(404);
    const events = await readEvents(`${baseUrl}/v1/sandboxes/${sbx.id}/steps/any/events`, auth(other));
    expect(events.status).toBe(404);
    const list = await request(app).get('/v1/sandboxes').set(auth(other));
    expect(list.body.sandboxes.map((s: { id: string }) => s.id)).not.toContain(sbx.id);
    expect((await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth())).body.status).toBe('ready');
  });

  test('bad steps are refused with the field named, before they reach the sandbox', async () => {
    const both = await exec(sbx.id, { code: 'print(1)', command: 'true' });
    expect(both.status).toBe(400);
    expect(both.body.error.field).toBe('code');
    const badPath = await readFile(sbx.id, '../etc/passwd');
    expect(badPath.status).toBe(400);
    expect(JSON.parse(badPath.body.toString()).error.field).toBe('query.path');
    const badKey = await exec(sbx.id, { code: 'print(1)' }, { 'idempotency-key': 'has spaces' });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.field).toBe('header.Idempotency-Key');
    const tooLong = await exec(sbx.id, { code: 'print(1)', timeoutSeconds: 100_000 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.field).toBe('timeoutSeconds');
    const overCeiling = await exec(sbx.id, { code: 'print(1)', timeoutSeconds: 301 });
    expect(overCeiling.status).toBe(400);
    expect(overCeiling.body.error).toMatchObject({ code: 'policy_violation', field: 'timeoutSeconds' });
    const longer = await exec(sbx.id, { code: 'import time; time.sleep(0.1); print(2)', timeoutSeconds: 20 });
    expect(longer.body).toMatchObject({ status: 'succeeded', process: { stdout: '2\n' } });
    const missing = await exec('sbx_0123456789abcdef0123456789abcdef', { code: 'print(1)' });
    expect(missing.status).toBe(404);
  });

  let streamedStepId = '';

  test('a step streams its output before it ends, and a reconnect with Last-Event-ID resumes', async () => {
    const stepId = `stream-${Date.now()}`;
    streamedStepId = stepId;
    const code = "import time\nprint('first', flush=True)\ntime.sleep(2)\nprint('second', flush=True)";
    const accepted = await exec(sbx.id, { code }, { 'idempotency-key': stepId }).query({ wait: 'false' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ stepId, sandboxId: sbx.id });

    const url = `${baseUrl}/v1/sandboxes/${sbx.id}/steps/${stepId}/events`;
    const firstPart = await readEvents(url, auth(), {
      stopWhen: (e) => e.type === 'stdout' && e.data.text.includes('first'),
    });
    const first = firstPart.events.at(-1)!.event;
    // Seen while the program still sleeps: the step is running.
    const during = await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth());
    expect(during.body.status).toBe('busy');

    const rest = await readEvents(url, { ...auth(), 'last-event-id': String(first.id) });
    const all = [...firstPart.events, ...rest.events];
    const ids = all.map((r) => r.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rest.events.every((r) => r.event.id > first.id)).toBe(true);
    expect(streamedText(all, 'stdout', 'exec')).toBe('first\nsecond\n');
    const end = all.at(-1)!.event;
    expect(end.type).toBe('end');
    if (end.type === 'end') expect((end.data.result as StepResult).process?.stdout).toBe('first\nsecond\n');
    const stages = all.filter((r) => r.event.type === 'stage').map((r) => r.event.data);
    expect(stages).toContainEqual(expect.objectContaining({ stage: 'exec', status: 'succeeded' }));
  });

  test('the workflow continues as new every few steps and keeps the container and its files', async () => {
    const handle = cluster.client.workflow.getHandle(sbx.id);
    const firstRun = (await handle.describe()).runId;
    for (let i = 0; i < 3; i++) expect((await exec(sbx.id, { code: `print(${i})` })).body.status).toBe('succeeded');
    await eventually('a new run', async () => (await handle.describe()).runId !== firstRun);
    // A recent step's stream is carried into the new run: a client resuming it still gets its end.
    const resumed = await readEvents(`${baseUrl}/v1/sandboxes/${sbx.id}/steps/${streamedStepId}/events`, auth());
    expect(streamedText(resumed.events, 'stdout', 'exec')).toBe('first\nsecond\n');
    expect(resumed.events.at(-1)?.event.type).toBe('end');
    const seed = await readFile(sbx.id, 'seed.txt');
    expect(seed.body.toString()).toBe('seeded\n');
    const info = await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth());
    expect(info.body).toMatchObject({ status: 'ready', host: cluster.hostId });
    expect(await containersOf(cluster.docker, sbx.id)).toHaveLength(1);
  });

  test('a deleted sandbox is torn down and refuses further steps', async () => {
    const closed = await request(app).delete(`/v1/sandboxes/${sbx.id}`).set(auth());
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', end: { reason: 'closed' } });
    expect(await containersOf(cluster.docker, sbx.id)).toHaveLength(0);
    const refused = await exec(sbx.id, { code: 'print(1)' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('sandbox_ended');
    const neverRan = await readEvents(`${baseUrl}/v1/sandboxes/${sbx.id}/steps/never-sent/events`, auth());
    expect(neverRan.status).toBe(404);
    // Visibility (what listing reads) follows the workflow a moment later.
    await eventually('the listing to drop it from the active sandboxes', async () => {
      const listed = await request(app).get('/v1/sandboxes').query({ status: 'active' }).set(auth());
      return !listed.body.sandboxes.some((s: { id: string }) => s.id === sbx.id);
    });
    const closedOnes = await request(app).get('/v1/sandboxes').query({ status: 'closed' }).set(auth());
    expect(closedOnes.body.sandboxes.map((s: { id: string }) => s.id)).toContain(sbx.id);
  });
});

test('the idle timeout tears a quiet sandbox down, with the reason recorded', async () => {
  const sbx = await newSandbox({ idleTimeoutSeconds: 10 });
  expect((await exec(sbx.id, { code: 'print(1)' })).body.status).toBe('succeeded');
  const ended = await eventually(
    'the idle timeout',
    async () => {
      const res = await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth());
      return res.body.status === 'closed' ? (res.body as SandboxInfo) : undefined;
    },
    30_000,
  );
  expect(ended).toMatchObject({ status: 'closed', end: { reason: 'idle_timeout' } });
  expect(await containersOf(cluster.docker, sbx.id)).toHaveLength(0);
});

test('create validates its fields and refuses policies that need a reviewer', async () => {
  const bad = await create({ language: 'python', idleTimeoutSeconds: 1 });
  expect(bad.status).toBe(400);
  expect(bad.body.error.field).toBe('idleTimeoutSeconds');
  const unknown = await create({ language: 'cobol' });
  expect(unknown.body.error.field).toBe('language');
  const reviewed = await create({ language: 'python', policy: 'strict' });
  expect(reviewed.status).toBe(400);
  expect(reviewed.body.error).toMatchObject({ code: 'policy_violation', field: 'policy' });
});

test("every step passes its policy's pre-run gates: a blocked step never runs", async () => {
  const sbx = await newSandbox({ policy: 'ci-gate' });
  const secret = 'KEY = "AKIAIOSFODNN7EXAMPLE"\n';
  const blocked = await exec(sbx.id, { code: `${secret}open('ran.txt', 'w').write('yes')` });
  expect(blocked.status).toBe(200);
  expect(blocked.body).toMatchObject({ status: 'rejected', process: null, error: { type: 'GateBlocked' } });
  expect(blocked.body.gates).toContainEqual(expect.objectContaining({ gate: 'secrets', verdict: 'block' }));
  const written = await request(app)
    .put(`/v1/sandboxes/${sbx.id}/files`)
    .query({ path: 'creds.py' })
    .set(auth())
    .send(Buffer.from(secret));
  expect(written.status).toBe(422);
  expect(written.body.error.code).toBe('gate_blocked');
  expect((await readFile(sbx.id, 'ran.txt')).status).toBe(404);
  expect((await readFile(sbx.id, 'creds.py')).status).toBe(404);
  const clean = await exec(sbx.id, { code: 'print(sum(range(4)))' });
  expect(clean.body).toMatchObject({ status: 'succeeded', process: { stdout: '6\n' } });
  expect(clean.body.gates.map((g: { gate: string }) => g.gate)).toEqual(['secrets', 'imports', 'static-analysis']);
  await request(app).delete(`/v1/sandboxes/${sbx.id}`).set(auth());
});

test('a close cancels the running step, which answers why, and does not wait for it', async () => {
  const sbx = await newSandbox();
  // A supertest request is sent once it is awaited or then'd.
  const running = exec(sbx.id, { command: 'sleep 60' }).then((res) => res);
  await eventually('the step to run', async () => {
    const info = await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth());
    return info.body.status === 'busy';
  });
  const started = Date.now();
  const closed = await request(app).delete(`/v1/sandboxes/${sbx.id}`).set(auth());
  expect(closed.status).toBe(200);
  expect(closed.body).toMatchObject({ status: 'closed', end: { reason: 'closed' } });
  // The step's own heartbeat carries the cancellation to the host: a second or two, not the 60 s.
  expect(Date.now() - started).toBeLessThan(20_000);
  const step = await running;
  expect(step.body).toMatchObject({
    status: 'cancelled',
    error: { type: 'SandboxEnded', message: 'the sandbox was closed while this step ran' },
  });
  expect(await containersOf(cluster.docker, sbx.id)).toHaveLength(0);
});

test('cancel kills the running step and drops a waiting one; the sandbox goes on, and no other tenant may', async () => {
  const sbx = await newSandbox();
  const cancel = (stepId: string, key?: string) =>
    request(app).post(`/v1/sandboxes/${sbx.id}/steps/${stepId}/cancel`).set(auth(key));
  const running = exec(sbx.id, { command: 'sleep 60' }, { 'Idempotency-Key': 'long-one' }).then((res) => res);
  await eventually('the step to run', async () => {
    const info = await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth());
    return info.body.status === 'busy';
  });
  const waiting = await request(app)
    .post(`/v1/sandboxes/${sbx.id}/exec?wait=false`)
    .set(auth())
    .send({ command: 'touch never.txt' });
  expect(waiting.status).toBe(202);
  const runningId = (
    await cluster.client.workflow.getHandle(sbx.id).query<{ running: { stepId: string } }>('sandboxSteps')
  ).running.stepId;

  // Another tenant's key does not find the sandbox, let alone the step.
  expect((await cancel(runningId, api.otherTenantKey)).status).toBe(404);
  expect((await cancel(waiting.body.stepId)).body).toEqual({
    stepId: waiting.body.stepId,
    sandboxId: sbx.id,
    cancelled: true,
  });
  const started = Date.now();
  expect((await cancel(runningId)).status).toBe(200);
  // The step's heartbeat carries the cancellation to the host: a second or two, not the 60 s.
  expect(Date.now() - started).toBeLessThan(20_000);
  expect((await running).body).toMatchObject({
    status: 'cancelled',
    error: { type: 'StepCancelled', message: 'cancelled by its client while it ran' },
  });
  // Done with: nothing to cancel any more.
  expect((await cancel(runningId)).status).toBe(404);

  const after = await exec(sbx.id, { command: 'ls' });
  expect(after.body).toMatchObject({ status: 'succeeded' });
  expect(after.body.process.stdout).not.toContain('never.txt');
  const info = (await request(app).get(`/v1/sandboxes/${sbx.id}`).set(auth())).body as SandboxInfo;
  expect(info.recentSteps.map((s) => s.status)).toEqual(['cancelled', 'cancelled', 'succeeded']);
  await request(app).delete(`/v1/sandboxes/${sbx.id}`).set(auth());
});

test('a step still running at the maximum lifetime is cancelled, and the sandbox ends max_lifetime', async () => {
  // Below the API's 60 s floor, so the workflow is started here with the input the API would send.
  const sandboxId = `sbx_${crypto.randomBytes(16).toString('hex')}`;
  const input: SandboxInput = {
    sandboxId,
    tenant: 'default',
    keyId: 'test-key',
    language: 'python',
    policy: 'default',
    idleTimeoutMs: 60_000,
    maxLifetimeMs: 6_000,
    maxStepTimeoutMs: 60_000,
    maxFileBytes: MAX_SANDBOX_FILE_BYTES,
    sourceFile: 'main.py',
    createdAt: new Date().toISOString(),
    files: [],
    env: {},
    stepsPerRun: 100,
  };
  const handle = await cluster.client.workflow.start<typeof sandboxWorkflow>('sandboxWorkflow', {
    taskQueue: ORCHESTRATION_QUEUE,
    workflowId: sandboxId,
    args: [input],
  });
  await handle.executeUpdate(sandboxReadyUpdate, { args: [{}] });
  const step = await handle.executeUpdate(sandboxStepUpdate, {
    args: [{ stepId: 'long', request: { kind: 'exec', argv: ['sleep', '60'] } }],
  });
  expect(step).toMatchObject({
    status: 'cancelled',
    error: { type: 'SandboxEnded', message: expect.stringContaining('maximum lifetime of 6 s') },
  });
  const info = await handle.result();
  expect(info.end).toMatchObject({ reason: 'max_lifetime' });
  expect(await containersOf(cluster.docker, sandboxId)).toHaveLength(0);
});
