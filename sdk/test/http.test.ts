import {
  AirlockAbortError,
  AirlockAuthenticationError,
  AirlockConnectionError,
  AirlockNotFoundError,
  AirlockServerError,
  AirlockValidationError,
  type ExecutionRequest,
} from '../src';
import { clientFor, fakeServer, IDEMPOTENCY_KEY, json, type FakeServer } from './fake-server';

const request: ExecutionRequest = { language: 'python', code: 'print(1)' };
let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('retries', () => {
  it('retries a 503 and sends the same Idempotency-Key on every attempt', async () => {
    server = await fakeServer((req, res) => {
      if (server!.requests.length < 3) return json(res, 503, { error: { code: 'unavailable', message: 'retry' } });
      json(res, 202, { id: 'ex_1', status: 'queued' });
    });
    const exec = await clientFor(server).executions.create(request);
    expect(exec.id).toBe('ex_1');
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(IDEMPOTENCY_KEY);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer ak_test');
    expect(JSON.parse(server.requests[2]!.body.toString())).toEqual(request);
  });

  it('uses the caller’s idempotency key', async () => {
    server = await fakeServer((_req, res) => json(res, 202, { id: 'ex_2', status: 'queued' }));
    await clientFor(server).executions.create(request, { idempotencyKey: 'job-42:attempt.1' });
    expect(server.requests[0]!.headers['idempotency-key']).toBe('job-42:attempt.1');
  });

  it('rejects a malformed idempotency key before sending', async () => {
    server = await fakeServer((_req, res) => json(res, 202, { id: 'ex_2', status: 'queued' }));
    await expect(clientFor(server).executions.create(request, { idempotencyKey: 'has space' })).rejects.toMatchObject({
      code: 'invalid_request',
      field: 'idempotencyKey',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('honours Retry-After on 429', async () => {
    server = await fakeServer((_req, res) => {
      if (server!.requests.length === 1) {
        return json(res, 429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '1' });
      }
      json(res, 200, { runtimes: [{ name: 'python' }] });
    });
    const started = Date.now();
    const runtimes = await clientFor(server).runtimes();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(runtimes.map((r) => r.name)).toEqual(['python']);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a connection that broke off, then gives up after maxRetries', async () => {
    server = await fakeServer((_req, res) => res.socket?.destroy());
    const err = await clientFor(server, { maxRetries: 2 })
      .runtimes()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockConnectionError);
    expect(err).toMatchObject({ status: 0, code: 'connection_error' });
    expect(server.requests).toHaveLength(3);
  });

  it('gives up with the typed server error once the retries run out', async () => {
    server = await fakeServer((_req, res) => json(res, 503, { error: { code: 'unavailable', message: 'down' } }));
    const err = await clientFor(server, { maxRetries: 1 })
      .runtimes()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockServerError);
    expect(err).toMatchObject({ status: 503, code: 'unavailable', message: 'down' });
    expect(server.requests).toHaveLength(2);
  });
});

describe('errors', () => {
  it('does not retry a 400 and carries field and issues', async () => {
    const issues = [
      { field: 'limits.memoryMb', message: 'is above the policy ceiling of 512' },
      { field: 'limits.timeoutMs', message: 'is above the policy ceiling of 10000' },
    ];
    server = await fakeServer((_req, res) =>
      json(res, 400, {
        error: {
          code: 'policy_violation',
          message: `limits.memoryMb: ${issues[0]!.message}`,
          field: 'limits.memoryMb',
          issues,
        },
      }),
    );
    const err = await clientFor(server)
      .executions.create({ ...request, limits: { memoryMb: 4096, timeoutMs: 60_000 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockValidationError);
    expect(err).toMatchObject({ status: 400, code: 'policy_violation', field: 'limits.memoryMb', issues });
    expect(server.requests).toHaveLength(1);
  });

  it('validates the request with the shared schema before sending', async () => {
    server = await fakeServer((_req, res) => json(res, 202, { id: 'ex_1', status: 'queued' }));
    const err = await clientFor(server)
      .executions.create({ language: 'python', files: [{ path: '../etc/passwd', content: 'x' }], entrypoint: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockValidationError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request', field: 'files.0.path' });
    expect(server.requests).toHaveLength(0);
  });

  it('maps 401 and 404 to their classes', async () => {
    server = await fakeServer((req, res) =>
      req.path === '/v1/runtimes'
        ? json(res, 401, { error: { code: 'unauthorized', message: 'missing key' } })
        : json(res, 404, { error: { code: 'not_found', message: 'execution ex_x not found' } }),
    );
    const airlock = clientFor(server);
    await expect(airlock.runtimes()).rejects.toBeInstanceOf(AirlockAuthenticationError);
    await expect(airlock.executions.get('ex_x')).rejects.toBeInstanceOf(AirlockNotFoundError);
    expect(server.requests).toHaveLength(2);
  });

  it('types an error whose body is not JSON', async () => {
    server = await fakeServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    await expect(clientFor(server, { maxRetries: 0 }).runtimes()).rejects.toMatchObject({
      status: 502,
      code: 'http_error',
      message: 'HTTP 502',
    });
  });
});

describe('cancellation', () => {
  it('rejects promptly when aborted during a backoff sleep', async () => {
    server = await fakeServer((_req, res) =>
      json(res, 503, { error: { code: 'unavailable', message: 'down' } }, { 'retry-after': '30' }),
    );
    const controller = new AbortController();
    const started = Date.now();
    const pending = clientFor(server).runtimes({ signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockAbortError);
    expect((err as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it('aborts a request in flight', async () => {
    server = await fakeServer(() => undefined); // never answers
    const controller = new AbortController();
    const pending = clientFor(server).executions.get('ex_1', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(AirlockAbortError);
  });

  it('times out an attempt and retries it', async () => {
    server = await fakeServer((_req, res) => {
      if (server!.requests.length === 1) return; // the first attempt hangs
      json(res, 200, { runtimes: [] });
    });
    await expect(clientFor(server, { timeoutMs: 100 }).runtimes()).resolves.toEqual([]);
    expect(server.requests).toHaveLength(2);
  });
});
