import crypto from 'node:crypto';
import { AirlockError, AirlockNotFoundError } from '../src';
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
});
