/**
 * The execution routes over HTTP on a real cluster: health, runtimes, submitting (one or a batch),
 * following, waiting and cancelling. A client's mistakes are in api-bad-input.test.ts.
 */
import request from 'supertest';
import { eventually } from '../support/docker';
import { createTestApi, useTestApi } from '../support/api';

const api = useTestApi();
const { auth, get } = api;
const post = (body: unknown, query = '') => api.post(`/v1/executions${query}`, body as object);
const cancel = (id: string, key?: string) => api.post(`/v1/executions/${id}/cancel`, undefined, key);

describe('HTTP API', () => {
  test('the anonymous probes say only yes or no; the detailed health is for an admin key', async () => {
    // Liveness and readiness, anonymous: no version, no worker name for whoever can reach the port.
    const live = await request(api.app).get('/healthz');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ ok: true });
    const ready = await request(api.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ok: true });
    expect((await request(api.app).get('/v1/health')).status).toBe(401);
    expect((await get('/v1/health')).status).toBe(403);
    const detailed = await request(api.app).get('/v1/health').set(auth(api.adminKey));
    expect(detailed.status).toBe(200);
    expect(detailed.body.ok).toBe(true);
    // Temporal and the workers as Temporal sees them: the API holds no Docker socket to ask an engine.
    expect(detailed.body.checks.map((c: { name: string }) => c.name).sort()).toEqual([
      'temporal',
      'workers.hosts',
      'workers.orchestration',
    ]);
    const hosts = detailed.body.checks.find((c: { name: string }) => c.name === 'workers.hosts');
    expect(hosts.detail).toMatch(/poller\(s\): /);
  });

  test('GET /v1/runtimes lists every language with its versions, newest first and the default', async () => {
    const res = await get('/v1/runtimes');
    expect(res.status).toBe(200);
    type Listed = {
      name: string;
      version: string;
      compiled: boolean;
      versions: { version: string; default: boolean }[];
    };
    const byName = Object.fromEntries(
      (res.body.runtimes as Listed[]).map((r) => [r.name, [r.versions.map((v) => v.version), r.compiled]]),
    );
    expect(byName).toEqual({
      bash: [['5.2'], false],
      c: [['14', '12'], true],
      cpp: [['14', '12'], true],
      go: [['1.24', '1.19'], true],
      java: [['21', '17'], true],
      javascript: [['20', '18'], false],
      python: [['3.13', '3.11'], false],
      ruby: [['3.3', '3.1'], false],
      rust: [['1.85', '1.63'], true],
      typescript: [['4.9', '4.8'], true],
    });
    const python = (res.body.runtimes as Listed[]).find((r) => r.name === 'python')!;
    expect(python.version).toBe('3.13');
    expect(python.versions).toEqual([
      {
        version: '3.13',
        default: true,
        image: 'airlock/python:3.13',
        debian: 'trixie',
        libraries: expect.objectContaining({ numpy: '2.2', pandas: '2.2', matplotlib: '3.10', pyarrow: '26.0' }),
      },
      {
        version: '3.11',
        default: false,
        image: 'airlock/python:3.11',
        debian: 'bookworm',
        libraries: expect.objectContaining({ numpy: '1.24', pandas: '1.5', matplotlib: '3.6', pyarrow: '18.1' }),
      },
    ]);
  });

  test('"version" picks the image; the result names it and the exact version it carries', async () => {
    const older = await post(
      { language: 'python', version: '3.11', code: 'import sys; print(sys.version_info[:2])' },
      '?wait=true',
    );
    expect(older.status).toBe(200);
    expect(older.body.run.stdout).toBe('(3, 11)\n');
    expect(older.body.image).toMatchObject({
      tag: 'airlock/python:3.11',
      runtimeVersion: expect.stringMatching(/^3\.11\./),
    });
    const newest = await post({ language: 'python', code: 'import sys; print(sys.version_info[:2])' }, '?wait=true');
    expect(newest.body.run.stdout).toBe('(3, 13)\n');
    expect(newest.body.image).toMatchObject({
      tag: 'airlock/python:3.13',
      runtimeVersion: expect.stringMatching(/^3\.13\./),
    });
  });

  describe('POST /v1/executions/batch', () => {
    const batch = (body: unknown, query = '') => api.post(`/v1/executions/batch${query}`, body as object);

    test('starts every execution and answers their ids in order', async () => {
      const res = await batch({
        executions: [
          { language: 'python', code: 'print("first")' },
          { language: 'javascript', code: 'console.log("second")' },
        ],
      });
      expect(res.status).toBe(202);
      expect(res.body.ids).toHaveLength(2);
      const [first, second] = await Promise.all((res.body.ids as string[]).map((id) => api.cluster.result(id)));
      expect([first!.run?.stdout, second!.run?.stdout]).toEqual(['first\n', 'second\n']);
    });

    test('?wait=true answers with the results in order', async () => {
      const res = await batch(
        {
          executions: [
            { language: 'python', code: 'print(1)' },
            { language: 'python', code: 'import sys\nsys.exit(4)' },
            { language: 'python', code: 'print(3)', expectedStdout: '4' },
          ],
        },
        '?wait=true',
      );
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
        'succeeded',
        'runtime_error',
        'wrong_answer',
      ]);
    });

    test('with an Idempotency-Key each item is idempotent: a retry starts nothing twice, a changed item is refused', async () => {
      const key = `batch-${Date.now()}`;
      const keyed = (executions: object[]) =>
        request(api.app).post('/v1/executions/batch').set(auth()).set({ 'idempotency-key': key }).send({ executions });
      const a = { language: 'python', code: 'print("a")' };
      const b = { language: 'python', code: 'print("b")' };
      const first = await keyed([a, b]);
      expect(first.status).toBe(202);
      const again = await keyed([a, b]);
      expect(again.status).toBe(202);
      expect(again.body.ids).toEqual(first.body.ids);
      // The second item changed, a third is new: the first is the one it was, the third starts, the second is refused.
      const changed = await keyed([a, { ...b, code: 'print("B")' }, { language: 'python', code: 'print("c")' }]);
      expect(changed.status).toBe(409);
      expect(changed.body.error).toMatchObject({
        code: 'idempotency_key_reused',
        field: 'header.Idempotency-Key',
        failed: [{ index: 1, code: 'idempotency_key_reused' }],
      });
      expect(changed.body.error.started.map((s: { index: number }) => s.index)).toEqual([0, 2]);
      expect(changed.body.error.started[0].id).toBe(first.body.ids[0]);
      const third = await api.cluster.result(changed.body.error.started[1].id);
      expect(third.run?.stdout).toBe('c\n');
    });

    test('a batch that fails part-way answers the ids that started, and a keyed retry starts the rest', async () => {
      // The cluster's own service, except that the first attempt to start one item fails, as a lost
      // connection to Temporal would.
      const real = api.cluster.executions;
      let refusals = 1;
      const flaky = Object.create(real) as typeof real;
      flaky.submit = async (input, idempotency) => {
        if (input.files[0]?.content.includes('flaky') && refusals-- > 0)
          throw new Error('14 UNAVAILABLE: connection lost');
        return real.submit(input, idempotency);
      };
      const partial = createTestApi(api.cluster, { executions: flaky });
      const body = {
        executions: [
          { language: 'python', code: 'print("steady")' },
          { language: 'python', code: 'print("flaky")' },
        ],
      };
      const key = `partial-${Date.now()}`;
      const send = () =>
        request(partial.app)
          .post('/v1/executions/batch')
          .set(auth(partial.key))
          .set({ 'idempotency-key': key })
          .send(body);
      const first = await send();
      expect(first.status).toBe(503);
      expect(first.body.error).toMatchObject({
        code: 'batch_partially_started',
        field: 'executions.1',
        failed: [{ index: 1, code: 'start_failed' }],
      });
      expect(first.body.error.started).toEqual([{ index: 0, id: expect.any(String) }]);
      const retried = await send();
      expect(retried.status).toBe(202);
      expect(retried.body.ids[0]).toBe(first.body.error.started[0].id);
      const results = await Promise.all((retried.body.ids as string[]).map((id) => api.cluster.result(id)));
      expect(results.map((r) => r.run?.stdout)).toEqual(['steady\n', 'flaky\n']);
    });

    test('one bad execution refuses the batch, naming it; the size is bounded', async () => {
      const bad = await batch({
        executions: [
          { language: 'python', code: 'print(1)' },
          { language: 'cobol', code: 'x' },
        ],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('executions.1.language');
      const badShape = await batch({ executions: [{ language: 'python', code: 'x', limits: { timeoutMs: 'soon' } }] });
      expect(badShape.body.error.field).toBe('executions.0.limits.timeoutMs');
      const ceiling = await batch({ executions: [{ language: 'python', code: 'x', limits: { timeoutMs: 999_999 } }] });
      expect(ceiling.body.error).toMatchObject({ code: 'policy_violation', field: 'executions.0.limits.timeoutMs' });
      const tooMany = await batch({
        executions: Array.from({ length: 101 }, () => ({ language: 'python', code: 'x' })),
      });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error).toMatchObject({
        field: 'executions',
        message: 'executions: must have at most 100 executions',
      });
      expect((await batch({ executions: [] })).body.error.field).toBe('executions');
      expect((await batch({ executions: ['x'] })).body.error.field).toBe('executions.0');
    });
  });

  test('POST answers 202 with an id; GET follows the execution to its result', async () => {
    const res = await post({ language: 'python', code: 'print(sum(range(10)))' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^ex_[0-9a-f]{32}$/), status: 'queued' });
    expect(res.headers.location).toBe(`/v1/executions/${res.body.id}`);

    const done = await eventually('the execution to finish', async () => {
      const got = await get(`/v1/executions/${res.body.id}`);
      expect(got.status).toBe(200);
      return got.body.status === 'succeeded' ? got.body : undefined;
    });
    expect(done).toMatchObject({ id: res.body.id, language: 'python', run: { exitCode: 0, stdout: '45\n' } });
    expect(done.stages).toHaveLength(11);
    expect(Date.parse(done.createdAt)).toBeLessThanOrEqual(Date.parse(done.finishedAt));
  });

  test('POST ?wait=true answers with the full result', async () => {
    const res = await post({ language: 'javascript', code: 'process.stdout.write("waited")' }, '?wait=true');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', run: { stdout: 'waited', exitCode: 0, signal: null } });
    expect(typeof res.body.run.durationMs).toBe('number');
  });

  test('?wait=true is bounded: past the bound it answers 202 and the execution goes on', async () => {
    const bounded = createTestApi(api.cluster, { waitLimitMs: 500 });
    const res = await request(bounded.app)
      .post('/v1/executions?wait=true')
      .set(auth(bounded.key))
      .send({ language: 'python', code: 'import time\ntime.sleep(3)\nprint("late")' });
    expect(res.status).toBe(202);
    const result = await api.cluster.result(res.body.id);
    expect(result.run?.stdout).toBe('late\n');
  });

  test('GET while running shows the stages so far', async () => {
    const res = await post({ language: 'python', code: 'import time\ntime.sleep(20)', limits: { timeoutMs: 30_000 } });
    const running = await eventually('the run stage', async () => {
      const got = await get(`/v1/executions/${res.body.id}`);
      return got.body.stages?.find((s: { name: string }) => s.name === 'run')?.outcome === 'running'
        ? got.body
        : undefined;
    });
    expect(running.status).toBe('running');
    expect(running.stages[0]).toMatchObject({ name: 'gate', outcome: 'succeeded' });
    expect(running.run).toBeNull();

    const cancelled = await cancel(res.body.id);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toEqual({ id: res.body.id, status: 'cancelling' });
    expect((await api.cluster.result(res.body.id)).status).toBe('cancelled');

    const again = await cancel(res.body.id);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'already_finished' });
  });

  test('unknown ids and routes are 404', async () => {
    const unknown = await get(`/v1/executions/ex_${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await get('/v1/executions/not-an-id')).status).toBe(404);
    expect((await cancel(`ex_${'1'.repeat(32)}`)).status).toBe(404);
    const route = await get('/v1/nothing');
    expect(route.status).toBe(404);
    expect(route.body.error.message).toBe('no route for GET /v1/nothing');
  });

  test("another tenant's execution answers 404", async () => {
    const input = await api.cluster.submit({ language: 'python', code: 'print(1)' }, 'someone-else');
    await api.cluster.result(input.executionId);
    expect((await get(`/v1/executions/${input.executionId}`)).status).toBe(404);
    expect((await cancel(input.executionId)).status).toBe(404);
  });
});
