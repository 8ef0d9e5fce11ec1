import crypto from 'node:crypto';
import { AirlockAbortError, AirlockError, AirlockNotFoundError } from '../src';
import { clientFor, fakeServer, json, type FakeServer } from './fake-server';

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Bytes that only survive untouched if nothing decodes and re-encodes them on the way: multi-byte text. */
const STORED = Buffer.from(`${'é'.repeat(40_000)}\n${'x'.repeat(30_000)}`, 'utf8');
const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

function serveOutput(): Promise<FakeServer> {
  return fakeServer((req, res) => {
    if (req.path === '/v1/executions/ex_1/outputs/run/stdout') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(STORED.length) });
      return res.end(STORED);
    }
    if (req.path === '/v1/executions/ex_1/outputs/case.3/stderr') {
      return json(res, 410, { error: { code: 'output_expired', message: 'no longer stored (retention)' } });
    }
    json(res, 404, { error: { code: 'not_found', message: `nothing at ${req.path}` } });
  });
}

describe('stored outputs', () => {
  it('output() fetches the whole stored stream, byte for byte, with the key', async () => {
    server = await serveOutput();
    const bytes = await clientFor(server).executions.output('ex_1', 'run', 'stdout');
    expect(bytes.byteLength).toBe(STORED.length);
    expect(sha256(bytes)).toBe(sha256(STORED));
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v1/executions/ex_1/outputs/run/stdout' });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer ak_test');
  });

  it('outputText() decodes it as UTF-8', async () => {
    server = await serveOutput();
    const text = await clientFor(server).executions.handle('ex_1').outputText('run', 'stdout');
    expect(text).toBe(STORED.toString('utf8'));
  });

  it('an output without a ref is AirlockNotFoundError, and one past retention is a 410 AirlockError', async () => {
    server = await serveOutput();
    const airlock = clientFor(server);
    await expect(airlock.executions.output('ex_1', 'tests', 'stdout')).rejects.toBeInstanceOf(AirlockNotFoundError);
    const expired = await airlock.executions.output('ex_1', 'case.3', 'stderr').catch((err: unknown) => err);
    expect(expired).toBeInstanceOf(AirlockError);
    expect(expired).toMatchObject({ status: 410, code: 'output_expired' });
    expect(server.requests.map((r) => r.path)).toEqual([
      '/v1/executions/ex_1/outputs/tests/stdout',
      '/v1/executions/ex_1/outputs/case.3/stderr',
    ]);
  });

  it('outputStream() yields the stored stream as it arrives, whole, past the per-attempt time limit', async () => {
    server = await fakeServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      // The second half comes after the time limit: it bounds the wait for the headers only.
      res.write(STORED.subarray(0, 1000));
      setTimeout(() => res.end(STORED.subarray(1000)), 300);
    });
    const body = await clientFor(server, { timeoutMs: 100 }).executions.handle('ex_1').outputStream('run', 'stdout');
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(STORED));
    expect(server.requests[0]).toMatchObject({ path: '/v1/executions/ex_1/outputs/run/stdout' });
  });

  it('outputStream() fails with the API error before any byte, and stops when its signal fires', async () => {
    server = await serveOutput();
    const airlock = clientFor(server);
    await expect(airlock.executions.handle('ex_1').outputStream('case.3', 'stderr')).rejects.toMatchObject({
      status: 410,
      code: 'output_expired',
    });

    await server.close();
    server = await fakeServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first');
    });
    const controller = new AbortController();
    const body = await clientFor(server)
      .executions.handle('ex_1')
      .outputStream('run', 'stdout', { signal: controller.signal });
    const read = (async () => {
      for await (const _ of body) controller.abort(new Error('enough'));
    })();
    await expect(read).rejects.toBeInstanceOf(AirlockAbortError);
  });
});
