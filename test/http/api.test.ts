import request from 'supertest';
import type { Express } from 'express';
import { createApp, BODY_LIMIT_BYTES } from '../../api/app';
import { createHealthProbe } from '../../api/health';
import { loadPolicies } from '../../lib/policies';
import { createLogger } from '../../lib/logger';
import { TestCluster } from '../support/cluster';
import { eventually } from '../support/docker';

let cluster: TestCluster;
let app: Express;

function makeApp(waitLimitMs: number): Express {
  return createApp({
    executions: cluster.executions,
    runtimes: cluster.runtimes,
    policies: loadPolicies(),
    health: createHealthProbe({ client: cluster.client, namespace: 'default', docker: cluster.docker }),
    waitLimitMs,
    log: createLogger('api-test', 'silent'),
  });
}

beforeAll(async () => {
  cluster = await TestCluster.start();
  app = makeApp(60_000);
});

afterAll(async () => {
  await cluster?.stop();
});

const post = (body: unknown, query = '') =>
  request(app)
    .post(`/v1/executions${query}`)
    .send(body as object);

async function expectBadRequest(body: unknown, field: string, message: RegExp): Promise<void> {
  const res = await post(body);
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({ code: 'invalid_request', field });
  expect(res.body.error.message).toMatch(message);
}

describe('HTTP API', () => {
  test('GET /healthz checks Temporal, Docker and both worker pools', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.checks.map((c: { name: string }) => c.name).sort()).toEqual([
      'docker',
      'temporal',
      'workers.hosts',
      'workers.orchestration',
    ]);
  });

  test('GET /v1/runtimes lists the installed runtimes', async () => {
    const res = await request(app).get('/v1/runtimes');
    expect(res.status).toBe(200);
    expect(res.body.runtimes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'python', version: '3.11', compiled: false }),
        expect.objectContaining({ name: 'javascript', version: '18', compiled: false }),
      ]),
    );
  });

  test('POST answers 202 with an id; GET follows the execution to its result', async () => {
    const res = await post({ language: 'python', code: 'print(sum(range(10)))' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^ex_[0-9a-f]{32}$/), status: 'queued' });
    expect(res.headers.location).toBe(`/v1/executions/${res.body.id}`);

    const done = await eventually('the execution to finish', async () => {
      const got = await request(app).get(`/v1/executions/${res.body.id}`);
      expect(got.status).toBe(200);
      return got.body.status === 'succeeded' ? got.body : undefined;
    });
    expect(done).toMatchObject({ id: res.body.id, language: 'python', run: { exitCode: 0, stdout: '45\n' } });
    expect(done.stages).toHaveLength(6);
    expect(Date.parse(done.createdAt)).toBeLessThanOrEqual(Date.parse(done.finishedAt));
  });

  test('POST ?wait=true answers with the full result', async () => {
    const res = await post({ language: 'javascript', code: 'process.stdout.write("waited")' }, '?wait=true');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', run: { stdout: 'waited', exitCode: 0, signal: null } });
    expect(typeof res.body.run.durationMs).toBe('number');
  });

  test('?wait=true is bounded: past the bound it answers 202 and the execution goes on', async () => {
    const res = await request(makeApp(500))
      .post('/v1/executions?wait=true')
      .send({ language: 'python', code: 'import time\ntime.sleep(3)\nprint("late")' });
    expect(res.status).toBe(202);
    const result = await cluster.result(res.body.id);
    expect(result.run?.stdout).toBe('late\n');
  });

  test('GET while running shows the stages so far', async () => {
    const res = await post({ language: 'python', code: 'import time\ntime.sleep(20)', limits: { timeoutMs: 30_000 } });
    const running = await eventually('the run stage', async () => {
      const got = await request(app).get(`/v1/executions/${res.body.id}`);
      return got.body.stages?.find((s: { name: string }) => s.name === 'run')?.outcome === 'running'
        ? got.body
        : undefined;
    });
    expect(running.status).toBe('running');
    expect(running.stages[0]).toMatchObject({ name: 'gate', outcome: 'succeeded' });
    expect(running.run).toBeNull();

    const cancel = await request(app).post(`/v1/executions/${res.body.id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body).toEqual({ id: res.body.id, status: 'cancelling' });
    expect((await cluster.result(res.body.id)).status).toBe('cancelled');

    const again = await request(app).post(`/v1/executions/${res.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'already_finished' });
  });

  describe('bad input is a 4xx naming the field and the reason', () => {
    test('missing or mistyped fields', async () => {
      await expectBadRequest({ code: 'print(1)' }, 'language', /language/);
      await expectBadRequest({ language: 42, code: 'x' }, 'language', /expected string/);
      await expectBadRequest({ language: 'python' }, 'code', /either code or files is required/);
      await expectBadRequest({ language: 'python', code: 1 }, 'code', /expected string/);
      await expectBadRequest({ language: 'python', code: 'x', stdin: 5 }, 'stdin', /expected string/);
      await expectBadRequest({ language: 'python', code: 'x', args: 'a b' }, 'args', /expected array/);
    });

    test('unknown runtime, policy or field', async () => {
      await expectBadRequest(
        { language: 'cobol', code: 'x' },
        'language',
        /unknown runtime "cobol"; available: .*python/,
      );
      await expectBadRequest({ language: 'python', code: 'x', policy: 'nope' }, 'policy', /unknown policy "nope"/);
      await expectBadRequest({ language: 'python', code: 'x', langauge: 'python' }, '(body)', /langauge/);
    });

    test('files, paths and entrypoints', async () => {
      const file = { path: 'main.py', content: 'print(1)' };
      await expectBadRequest(
        { language: 'python', code: 'x', files: [file], entrypoint: 'main.py' },
        'files',
        /not both/,
      );
      await expectBadRequest({ language: 'python', files: [file] }, 'entrypoint', /required with files/);
      await expectBadRequest(
        { language: 'python', files: [file], entrypoint: 'other.py' },
        'entrypoint',
        /one of the files/,
      );
      await expectBadRequest(
        { language: 'python', files: [{ path: '../etc/passwd', content: '' }], entrypoint: '../etc/passwd' },
        'files.0.path',
        /\.\./,
      );
      await expectBadRequest(
        { language: 'python', files: [{ path: '/abs.py', content: '' }], entrypoint: '/abs.py' },
        'files.0.path',
        /relative/,
      );
      await expectBadRequest(
        { language: 'python', files: [file, file], entrypoint: 'main.py' },
        'files',
        /duplicate path/,
      );
      await expectBadRequest(
        { language: 'python', files: [{ ...file, encoding: 'hex' }], entrypoint: 'main.py' },
        'files.0.encoding',
        /utf8|base64/,
      );
    });

    test('limits and env', async () => {
      await expectBadRequest(
        { language: 'python', code: 'x', limits: { timeoutMs: -1 } },
        'limits.timeoutMs',
        /positive/,
      );
      await expectBadRequest(
        { language: 'python', code: 'x', limits: { timeoutMs: 1.5 } },
        'limits.timeoutMs',
        /integer/,
      );
      await expectBadRequest({ language: 'python', code: 'x', limits: { cpu: 4 } }, 'limits', /cpu/);
      await expectBadRequest({ language: 'python', code: 'x', env: { PATH: '/evil' } }, 'env.PATH', /reserved/);
      await expectBadRequest({ language: 'python', code: 'x', env: { 'BAD-NAME': '1' } }, 'env.BAD-NAME', /must match/);
    });

    test('body that is not a JSON object', async () => {
      const invalid = await request(app)
        .post('/v1/executions')
        .set('content-type', 'application/json')
        .send('{"language":');
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toMatchObject({ code: 'invalid_json', field: '(body)' });

      const array = await post([1, 2]);
      expect(array.status).toBe(400);
      expect(array.body.error).toMatchObject({ field: '(body)', message: '(body): must be a JSON object' });

      const text = await request(app).post('/v1/executions').set('content-type', 'text/plain').send('print(1)');
      expect(text.status).toBe(415);
      expect(text.body.error.code).toBe('unsupported_media_type');
    });

    test('a body over the limit is 413', async () => {
      const res = await post({ language: 'python', code: 'x'.repeat(BODY_LIMIT_BYTES + 1) });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });

    test('a bad query parameter', async () => {
      const res = await post({ language: 'python', code: 'x' }, '?wait=maybe');
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe('query.wait');
    });
  });

  test('unknown ids and routes are 404', async () => {
    const unknown = await request(app).get(`/v1/executions/ex_${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await request(app).get('/v1/executions/not-an-id')).status).toBe(404);
    expect((await request(app).post(`/v1/executions/ex_${'1'.repeat(32)}/cancel`)).status).toBe(404);
    const route = await request(app).get('/v1/nothing');
    expect(route.status).toBe(404);
    expect(route.body.error.message).toBe('no route for GET /v1/nothing');
  });

  test("another tenant's execution answers 404", async () => {
    const input = await cluster.submit({ language: 'python', code: 'print(1)' }, 'someone-else');
    await cluster.result(input.executionId);
    expect((await request(app).get(`/v1/executions/${input.executionId}`)).status).toBe(404);
    expect((await request(app).post(`/v1/executions/${input.executionId}/cancel`)).status).toBe(404);
  });
});
