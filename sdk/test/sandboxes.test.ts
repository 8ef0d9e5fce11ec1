import { AirlockConflictError, AirlockSandboxFailedError, type SandboxInfo, type StepResult } from '../src';
import { clientFor, fakeServer, IDEMPOTENCY_KEY, json, sse, type FakeServer } from './fake-server';

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const info = (fields: Partial<SandboxInfo> = {}): SandboxInfo => ({
  id: 'sbx_1',
  tenant: 'default',
  language: 'python',
  policy: 'default',
  status: 'ready',
  createdAt: '2026-01-01T00:00:00.000Z',
  lastActivityAt: '2026-01-01T00:00:00.000Z',
  idleTimeoutSeconds: 300,
  maxLifetimeSeconds: 3600,
  idleExpiresAt: null,
  expiresAt: '2026-01-01T01:00:00.000Z',
  host: 'host-1',
  image: null,
  steps: 0,
  recentSteps: [],
  end: null,
  ...fields,
});

const stepResult = (fields: Partial<StepResult> = {}): StepResult => ({
  stepId: 'stp_1',
  sandboxId: 'sbx_1',
  index: 1,
  kind: 'exec',
  status: 'succeeded',
  startedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 12,
  process: null,
  gates: [],
  file: null,
  entries: null,
  error: null,
  ...fields,
});

describe('sandboxes', () => {
  it('creates a sandbox with an idempotency key and returns a handle', async () => {
    server = await fakeServer((_req, res) => json(res, 201, info(), { location: '/v1/sandboxes/sbx_1' }));
    const sbx = await clientFor(server).sandboxes.create({ language: 'python', idleTimeoutSeconds: 60 });
    expect(sbx.id).toBe('sbx_1');
    expect(sbx.info.status).toBe('ready');
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/sandboxes' });
    expect(req!.headers['idempotency-key']).toMatch(IDEMPOTENCY_KEY);
    expect(JSON.parse(req!.body.toString())).toEqual({ language: 'python', idleTimeoutSeconds: 60 });
  });

  it('throws when the sandbox never became ready', async () => {
    const end = { reason: 'rejected' as const, message: 'language not allowed', at: '2026-01-01T00:00:00.000Z' };
    server = await fakeServer((_req, res) => json(res, 201, info({ status: 'failed', end })));
    const err = await clientFor(server)
      .sandboxes.create({ language: 'python' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockSandboxFailedError);
    expect(err).toMatchObject({ code: 'sandbox_failed', sandbox: { end } });
  });

  it('run() posts {code} to /v1/sandboxes/:id/exec and returns the step result', async () => {
    const result = stepResult({ status: 'runtime_error' });
    server = await fakeServer((req, res) => json(res, 200, req.method === 'GET' ? info() : result));
    const sbx = await clientFor(server).sandboxes.get('sbx_1');
    await expect(sbx.run('print(1)', { stdin: 'x', timeoutSeconds: 5 })).resolves.toEqual(result);
    const req = server.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/sandboxes/sbx_1/exec' });
    expect(req.query.get('wait')).toBeNull();
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['idempotency-key']).toMatch(IDEMPOTENCY_KEY);
    expect(JSON.parse(req.body.toString())).toEqual({ code: 'print(1)', stdin: 'x', timeoutSeconds: 5 });
  });

  it('exec() posts {command}; a retried step reuses its key', async () => {
    server = await fakeServer((req, res) => {
      if (req.path === '/v1/sandboxes/sbx_1') return json(res, 200, info());
      if (server!.requests.length === 2) return res.socket?.destroy();
      json(res, 200, stepResult());
    });
    const sbx = await clientFor(server).sandboxes.get('sbx_1');
    await sbx.exec(['pytest', '-q']);
    const [, first, second] = server.requests;
    expect(JSON.parse(second!.body.toString())).toEqual({ command: ['pytest', '-q'] });
    expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
  });

  it('surfaces 409 sandbox_ended as a conflict', async () => {
    server = await fakeServer((req, res) =>
      req.method === 'GET'
        ? json(res, 200, info())
        : json(res, 409, { error: { code: 'sandbox_ended', message: 'sandbox sbx_1 has ended (idle_timeout)' } }),
    );
    const sbx = await clientFor(server).sandboxes.get('sbx_1');
    await expect(sbx.run('print(1)')).rejects.toBeInstanceOf(AirlockConflictError);
    await expect(sbx.run('print(1)')).rejects.toMatchObject({ status: 409, code: 'sandbox_ended' });
  });

  it('start() returns a step whose events end with the result', async () => {
    const result = stepResult({ stepId: 'stp_9' });
    server = await fakeServer((req, res) => {
      if (req.path === '/v1/sandboxes/sbx_1') return json(res, 200, info());
      if (req.path.endsWith('/exec')) return json(res, 202, { stepId: 'stp_9', sandboxId: 'sbx_1' });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse(1, 'stdout', { stage: 'exec', text: 'hi\n' }) + sse(2, 'end', { status: 'succeeded', result }));
    });
    const sbx = await clientFor(server).sandboxes.get('sbx_1');
    const step = await sbx.start({ command: 'echo hi' });
    expect(step.stepId).toBe('stp_9');
    expect(server.requests[1]!.query.get('wait')).toBe('false');
    await expect(step.result()).resolves.toEqual(result);
    expect(server.requests.at(-1)!.path).toBe('/v1/sandboxes/sbx_1/steps/stp_9/events');
  });

  it('a step streamed to its end needs no second connection for its result', async () => {
    const result = stepResult({ stepId: 'stp_9' });
    server = await fakeServer((req, res) => {
      if (req.path === '/v1/sandboxes/sbx_1') return json(res, 200, info());
      if (req.path.endsWith('/exec')) return json(res, 202, { stepId: 'stp_9', sandboxId: 'sbx_1' });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse(1, 'stdout', { stage: 'exec', text: 'hi\n' }) + sse(2, 'end', { status: 'succeeded', result }));
    });
    const step = await (await clientFor(server).sandboxes.get('sbx_1')).start({ code: 'print("hi")' });
    let text = '';
    for await (const e of step.events()) if (e.type === 'stdout') text += e.data.text;
    expect(text).toBe('hi\n');
    await expect(step.result()).resolves.toEqual(result);
    expect(server.requests.filter((r) => r.path.endsWith('/events'))).toHaveLength(1);
  });

  it('falls back to resending the step with its key when there is no events route', async () => {
    const result = stepResult({ stepId: 'stp_9' });
    server = await fakeServer((req, res) => {
      if (req.path === '/v1/sandboxes/sbx_1') return json(res, 200, info());
      if (req.path.endsWith('/events')) return json(res, 404, { error: { code: 'not_found', message: 'no route' } });
      if (req.query.get('wait') === 'false') return json(res, 202, { stepId: 'stp_9', sandboxId: 'sbx_1' });
      json(res, 200, result);
    });
    const step = await (await clientFor(server).sandboxes.get('sbx_1')).start({ code: 'print(1)' });
    await expect(step.result()).resolves.toEqual(result);
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers['idempotency-key']).toBe(posts[0]!.headers['idempotency-key']);
    expect(posts[1]!.body.toString()).toBe(posts[0]!.body.toString());
  });

  it('closes with DELETE and keeps the final state', async () => {
    const end = { reason: 'closed' as const, message: 'deleted', at: '2026-01-01T00:10:00.000Z' };
    server = await fakeServer((req, res) =>
      json(res, 200, req.method === 'DELETE' ? info({ status: 'closed', end }) : info()),
    );
    const sbx = await clientFor(server).sandboxes.get('sbx_1');
    await sbx[Symbol.asyncDispose]();
    expect(sbx.info).toMatchObject({ status: 'closed', end });
    expect(server.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/sandboxes/sbx_1' });
  });
});

describe('files', () => {
  const sandbox = async () => {
    const sbx = await clientFor(server!).sandboxes.get('sbx_1');
    server!.requests.length = 0;
    return sbx;
  };

  it('write() sends the raw bytes with PUT and the path in the query', async () => {
    server = await fakeServer((req, res) =>
      req.method === 'GET'
        ? json(res, 200, info())
        : json(res, 200, { path: 'data/blob.bin', bytes: 4, sha256: 'abc' }),
    );
    const sbx = await sandbox();
    const bytes = new Uint8Array([0x00, 0xff, 0x0a, 0x80]);
    await expect(sbx.files.write('data/blob.bin', bytes)).resolves.toEqual({
      path: 'data/blob.bin',
      bytes: 4,
      sha256: 'abc',
    });
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'PUT', path: '/v1/sandboxes/sbx_1/files' });
    expect(req!.query.get('path')).toBe('data/blob.bin');
    expect(req!.headers['content-type']).toBe('application/octet-stream');
    expect(req!.headers['idempotency-key']).toMatch(IDEMPOTENCY_KEY);
    expect([...req!.body]).toEqual([...bytes]);
  });

  it('write() encodes text as UTF-8 and rejects a bad path before sending', async () => {
    server = await fakeServer((req, res) =>
      req.method === 'GET' ? json(res, 200, info()) : json(res, 200, { path: 'a.txt', bytes: 3, sha256: 'x' }),
    );
    const sbx = await sandbox();
    await sbx.files.write('a.txt', 'é!');
    expect(server.requests[0]!.body.toString('utf8')).toBe('é!');
    await expect(sbx.files.write('../a.txt', 'x')).rejects.toMatchObject({ code: 'invalid_request', field: 'path' });
    expect(server.requests).toHaveLength(1);
  });

  it('read(), readText(), list() and remove()', async () => {
    server = await fakeServer((req, res) => {
      if (req.path === '/v1/sandboxes/sbx_1') return json(res, 200, info());
      if (req.path.endsWith('/files/list')) {
        return json(res, 200, {
          path: '.',
          entries: [{ name: 'calc.py', type: 'file', bytes: 2, modifiedAt: '2026-01-01T00:00:00Z' }],
        });
      }
      if (req.method === 'DELETE') return res.writeHead(204).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from('hé'));
    });
    const sbx = await sandbox();
    await expect(sbx.files.read('calc.py')).resolves.toEqual(new Uint8Array(Buffer.from('hé')));
    await expect(sbx.files.readText('calc.py')).resolves.toBe('hé');
    await expect(sbx.files.list()).resolves.toEqual([expect.objectContaining({ name: 'calc.py', type: 'file' })]);
    await expect(sbx.files.remove('calc.py')).resolves.toBeUndefined();
    expect(server.requests.map((r) => [r.method, r.path, r.query.get('path')])).toEqual([
      ['GET', '/v1/sandboxes/sbx_1/files', 'calc.py'],
      ['GET', '/v1/sandboxes/sbx_1/files', 'calc.py'],
      ['GET', '/v1/sandboxes/sbx_1/files/list', '.'],
      ['DELETE', '/v1/sandboxes/sbx_1/files', 'calc.py'],
    ]);
    expect(server.requests[3]!.headers['idempotency-key']).toMatch(IDEMPOTENCY_KEY);
  });
});
