import { AirlockError, AirlockValidationError, baseUrlFromEnv, DEFAULT_BASE_URL } from '../src';
import { clientFor, fakeServer, IDEMPOTENCY_KEY, json, type FakeServer } from './fake-server';

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const SARIF = '{\n  "version": "2.1.0"\n}';
const JUNIT = '<?xml version="1.0"?>\n<testsuites tests="1"/>';
const KEY = {
  id: '0123456789abcdef',
  algorithm: 'ed25519',
  publicKey: '-----BEGIN PUBLIC KEY-----\n…',
  createdAt: '2026-12-01T00:00:00.000Z',
  retiredAt: null,
};
const APPROVAL = { status: 'approved', reason: 'warn', required: 1, decisions: [] };

function serve(): Promise<FakeServer> {
  return fakeServer((req, res) => {
    const route = `${req.method} ${req.path}`;
    if (route === 'GET /v1/executions/ex_1/sarif') {
      res.writeHead(200, { 'content-type': 'application/sarif+json' });
      return res.end(SARIF);
    }
    if (route === 'GET /v1/executions/ex_1/junit') {
      res.writeHead(200, { 'content-type': 'application/xml' });
      return res.end(JUNIT);
    }
    if (route === 'GET /v1/audit/keys') return json(res, 200, { keys: [KEY] });
    if (route === 'POST /v1/executions/ex_1/approve' || route === 'POST /v1/executions/ex_1/reject') {
      return json(res, 200, { id: 'ex_1', approval: APPROVAL });
    }
    if (route === 'POST /v1/executions/batch') {
      const { executions } = JSON.parse(req.body.toString()) as { executions: unknown[] };
      return json(res, 202, { ids: executions.map((_, i) => `ex_b${i}`) });
    }
    json(res, 404, { error: { code: 'not_found', message: `nothing at ${route}` } });
  });
}

describe('reports, decisions, batches and audit keys', () => {
  it('report() answers SARIF, JUnit and history as the text the API wrote', async () => {
    server = await serve();
    const execution = clientFor(server).executions.handle('ex_1');
    expect(await execution.report('sarif')).toBe(SARIF);
    expect(await execution.report('junit')).toBe(JUNIT);
    await expect(execution.report('history')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('approve() and reject() send the decision once, checked against the shared schema first', async () => {
    server = await serve();
    const execution = clientFor(server).executions.handle('ex_1');
    expect(await execution.approve({ comment: 'read it' })).toEqual({ id: 'ex_1', approval: APPROVAL });
    expect(await execution.reject()).toEqual({ id: 'ex_1', approval: APPROVAL });
    expect(server.requests.map((r) => [r.path, r.body.toString()])).toEqual([
      ['/v1/executions/ex_1/approve', '{"comment":"read it"}'],
      ['/v1/executions/ex_1/reject', '{}'],
    ]);
    const tooLong = await execution.approve({ comment: 'x'.repeat(2001) }).catch((err: unknown) => err);
    expect(tooLong).toBeInstanceOf(AirlockValidationError);
    expect(tooLong).toMatchObject({ status: 400, field: 'comment' });
    expect(server.requests).toHaveLength(2);
  });

  it('a decision is not retried: a second decision by one key would be refused, not repeated', async () => {
    server = await fakeServer((_req, res) => json(res, 503, { error: { code: 'unavailable', message: 'busy' } }));
    await expect(clientFor(server).executions.handle('ex_1').approve()).rejects.toMatchObject({ status: 503 });
    expect(server.requests).toHaveLength(1);
  });

  it('createBatch() answers a handle per request, in order, under one idempotency key', async () => {
    server = await serve();
    const batch = await clientFor(server).executions.createBatch([
      { language: 'python', code: 'print(1)' },
      { language: 'python', code: 'print(2)' },
    ]);
    expect(batch.map((e) => e.id)).toEqual(['ex_b0', 'ex_b1']);
    expect(server.requests[0]!.headers['idempotency-key']).toMatch(IDEMPOTENCY_KEY);
  });

  it('createBatch() names the item at fault before sending, and refuses an empty or oversized batch', async () => {
    server = await serve();
    const executions = clientFor(server).executions;
    const bad = await executions
      .createBatch([
        { language: 'python', code: 'ok' },
        { language: 'python', code: 'x', limits: { timeoutMs: -1 } },
      ])
      .catch((err: unknown) => err);
    expect(bad).toMatchObject({ status: 400, field: 'executions.1.limits.timeoutMs' });
    await expect(executions.createBatch([])).rejects.toMatchObject({ field: 'executions' });
    const many = Array.from({ length: 101 }, () => ({ language: 'python', code: 'x' }));
    await expect(executions.createBatch(many)).rejects.toMatchObject({ field: 'executions' });
    expect(server.requests).toHaveLength(0);
  });

  it('createBatch() refuses an answer whose ids do not match the requests', async () => {
    server = await fakeServer((_req, res) => json(res, 202, { ids: ['ex_only_one'] }));
    const err = await clientFor(server)
      .executions.createBatch([
        { language: 'python', code: '1' },
        { language: 'python', code: '2' },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockError);
    expect(err).toMatchObject({ code: 'invalid_response' });
  });

  it('audit.keys() lists the public signing keys', async () => {
    server = await serve();
    expect(await clientFor(server).audit.keys()).toEqual([KEY]);
  });

  it('baseUrlFromEnv() is $AIRLOCK_URL without its trailing slash, else the embedded service', () => {
    expect(baseUrlFromEnv({ AIRLOCK_URL: 'https://airlock.example/' })).toBe('https://airlock.example');
    expect(baseUrlFromEnv({ AIRLOCK_URL: '' })).toBe(DEFAULT_BASE_URL);
    expect(baseUrlFromEnv({})).toBe('http://127.0.0.1:8080');
  });
});
