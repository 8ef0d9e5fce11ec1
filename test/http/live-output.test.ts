/**
 * Live output of executions over a real socket, and idempotent submission.
 */
import request from 'supertest';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { TestCluster } from '../support/cluster';
import { createTestApi, listen, type TestApi } from '../support/api';
import { readEvents, streamedText } from '../support/sse';

let cluster: TestCluster;
let api: TestApi;
let server: Awaited<ReturnType<typeof listen>>;
let baseUrl: string;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
  server = await listen(api.app);
  baseUrl = server.url;
});

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

const auth = (key = api.key) => ({ authorization: `Bearer ${key}` });
const submit = (body: object, headers: Record<string, string> = {}) =>
  request(api.app).post('/v1/executions').set(auth()).set(headers).send(body);

describe('GET /v1/executions/:id/events', () => {
  const code = "import time\nprint('tick 1', flush=True)\ntime.sleep(2)\nprint('tick 2', flush=True)";

  test('delivers output while the program runs, then the stages and the result', async () => {
    const { body } = await submit({ language: 'python', code });
    const { status, events } = await readEvents(`${baseUrl}/v1/executions/${body.id}/events`, auth());
    expect(status).toBe(200);
    const firstTick = events.find((r) => r.event.type === 'stdout')!;
    const end = events.at(-1)!;
    expect(firstTick.event.data).toEqual({ stage: 'run', text: 'tick 1\n' });
    // The first line came while the program slept: well before the end.
    expect(end.at - firstTick.at).toBeGreaterThan(1_200);
    expect(streamedText(events, 'stdout', 'run')).toBe('tick 1\ntick 2\n');
    expect(end.event.type).toBe('end');
    if (end.event.type === 'end') {
      expect(end.event.data.status).toBe('succeeded');
      expect((end.event.data.result as ExecutionResult).run?.stdout).toBe('tick 1\ntick 2\n');
    }
    const stages = events.filter((r) => r.event.type === 'stage').map((r) => r.event.data);
    expect(stages).toContainEqual({ stage: 'run', status: 'running', detail: null });
    expect(stages).toContainEqual(expect.objectContaining({ stage: 'run', status: 'succeeded' }));
    const ids = events.map((r) => r.event.id);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
  });

  test('a reconnect with Last-Event-ID misses nothing and repeats nothing, during the run and after it', async () => {
    const { body } = await submit({ language: 'python', code });
    const url = `${baseUrl}/v1/executions/${body.id}/events`;
    const before = await readEvents(url, auth(), { stopWhen: (e) => e.type === 'stdout' });
    const last = before.events.at(-1)!.event.id;
    const after = await readEvents(url, { ...auth(), 'last-event-id': String(last) });
    const all = [...before.events, ...after.events].map((r) => r.event.id);
    expect(all).toEqual(all.map((_, i) => all[0]! + i));
    expect(streamedText([...before.events, ...after.events], 'stdout', 'run')).toBe('tick 1\ntick 2\n');

    // Long after the end: the same events, from history.
    const replayed = await readEvents(url, { ...auth(), 'last-event-id': '0' });
    expect(replayed.events.map((r) => r.event.id)).toEqual(all);
    const fromQuery = await readEvents(`${url}?lastEventId=${last}`, auth());
    expect(fromQuery.events.map((r) => r.event.id)).toEqual(after.events.map((r) => r.event.id));
  });

  test('output is bounded by the cap and redacted by the output gate, as in the result', async () => {
    // The first line goes out while the program sleeps; the rest comes after the last flush, at the end.
    const { body } = await submit({
      language: 'python',
      code: "import sys, time\nprint('key AKIAIOSFODNN7EXAMPLE here', flush=True)\ntime.sleep(0.6)\nsys.stdout.write('x' * 300000)",
    });
    const { events } = await readEvents(`${baseUrl}/v1/executions/${body.id}/events`, auth());
    const end = events.at(-1)!.event;
    const result = (end.type === 'end' ? end.data.result : null) as ExecutionResult;
    expect(result.status).toBe('output_limit_exceeded');
    const streamed = streamedText(events, 'stdout', 'run');
    // Longer than the preview, so stored: a stream that went out live carries all of it, the end included.
    const stored = await request(api.app).get(`/v1/executions/${body.id}/outputs/run/stdout`).set(auth());
    expect(stored.status).toBe(200);
    expect(result.run!.stdoutRef?.bytes).toBe(Buffer.byteLength(stored.text));
    expect(streamed).toBe(stored.text);
    expect(streamed.startsWith(result.run!.stdout)).toBe(true);
    expect(streamed).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(streamed).toContain('[REDACTED:');
  });

  test('unknown or foreign executions answer 404; a bad Last-Event-ID answers 400', async () => {
    const { body } = await submit({ language: 'python', code: 'print(1)' });
    expect((await readEvents(`${baseUrl}/v1/executions/${body.id}/events`, auth(api.otherTenantKey))).status).toBe(404);
    expect((await readEvents(`${baseUrl}/v1/executions/ex_${'0'.repeat(32)}/events`, auth())).status).toBe(404);
    const bad = await request(api.app).get(`/v1/executions/${body.id}/events`).set(auth()).set('last-event-id', 'x');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('header.Last-Event-ID');
  });
});

describe('Idempotency-Key on POST /v1/executions', () => {
  test('the same key and body start one execution; the same key with another body is a conflict', async () => {
    const key = { 'idempotency-key': `exec-${Date.now()}` };
    const body = { language: 'python', code: 'print(7)' };
    const first = await submit(body, key);
    const second = await submit(body, key);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    const other = await submit({ ...body, code: 'print(8)' }, key);
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'idempotency_key_reused', field: 'header.Idempotency-Key' });
    const waited = await submit(body, key).query({ wait: 'true' });
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ id: first.body.id, status: 'succeeded', run: { stdout: '7\n' } });
  });
});
