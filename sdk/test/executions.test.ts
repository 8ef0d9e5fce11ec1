import type { ExecutionResult } from '../src';
import { clientFor, fakeServer, json, sse, type FakeServer } from './fake-server';

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Just the fields the SDK reads; the rest of a result is passed through untouched. */
const result = (status: ExecutionResult['status']) =>
  ({ id: 'ex_1', status, extra: 'kept' }) as unknown as ExecutionResult;

describe('executions', () => {
  it('run() returns the result the wait answered with', async () => {
    server = await fakeServer((_req, res) => json(res, 200, result('succeeded')));
    await expect(clientFor(server).executions.run({ language: 'python', code: 'print(1)' })).resolves.toEqual(
      result('succeeded'),
    );
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.query.get('wait')).toBe('true');
  });

  it('run() follows the live stream to end when the wait runs out, then reads the result', async () => {
    let reads = 0;
    server = await fakeServer((req, res) => {
      if (req.method === 'POST') return json(res, 202, { id: 'ex_1', status: 'queued' });
      if (req.path.endsWith('/events')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return res.end(sse(1, 'end', { status: 'succeeded', result: result('succeeded') }));
      }
      json(res, 200, result(reads++ === 0 ? 'running' : 'succeeded'));
    });
    await expect(clientFor(server).executions.run({ language: 'python', code: 'print(1)' })).resolves.toMatchObject({
      status: 'succeeded',
      extra: 'kept',
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/executions',
      'GET /v1/executions/ex_1',
      'GET /v1/executions/ex_1/events',
      'GET /v1/executions/ex_1',
    ]);
  });

  it('result() polls when the server has no events route', async () => {
    let reads = 0;
    server = await fakeServer((req, res) => {
      if (req.path.endsWith('/events')) return json(res, 404, { error: { code: 'not_found', message: 'no route' } });
      json(res, 200, result(reads++ < 2 ? 'running' : 'runtime_error'));
    });
    await expect(clientFor(server).executions.handle('ex_1').result()).resolves.toMatchObject({
      status: 'runtime_error',
    });
    expect(reads).toBe(3);
  });

  it('cancel() posts to /cancel', async () => {
    server = await fakeServer((_req, res) => json(res, 202, { id: 'ex_1', status: 'cancelling' }));
    await expect(clientFor(server).executions.handle('ex_1').cancel()).resolves.toEqual({
      id: 'ex_1',
      status: 'cancelling',
    });
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/executions/ex_1/cancel' });
  });

  it('list() sends its filters as query parameters', async () => {
    server = await fakeServer((_req, res) => json(res, 200, { executions: [], nextPageToken: null }));
    await clientFor(server).executions.list({
      status: 'awaiting_approval',
      since: new Date('2026-01-01T00:00:00Z'),
      pageSize: 5,
    });
    const { query } = server.requests[0]!;
    expect(Object.fromEntries(query)).toEqual({
      status: 'awaiting_approval',
      since: '2026-01-01T00:00:00.000Z',
      pageSize: '5',
    });
  });
});
