import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpHttpApp, type McpHttpApp } from '../../mcp/http';
import type { ClientConfig } from '../../mcp/client';
import { createLogger } from '../../lib/node/logger';
import { FakeApiError, fakeAirlock, type FakeAirlock } from './fake-airlock';

const GOOD_KEY = 'ak_good';
const OTHER_KEY = 'ak_other';

let mcp: McpHttpApp;
let server: Server;
let url: URL;
/** The fake client each session got, by the key it was made with. */
const clients = new Map<string, FakeAirlock>();
const configs: ClientConfig[] = [];

beforeAll(async () => {
  mcp = createMcpHttpApp({
    apiUrl: 'http://airlock.test:8080/',
    log: createLogger('mcp-http-test', 'silent'),
    createClient: (config) => {
      configs.push(config);
      const airlock = fakeAirlock();
      if (config.apiKey.startsWith('ak_bad')) {
        airlock.runtimes.list.mockRejectedValue(new FakeApiError(401, 'unauthenticated', 'invalid or revoked API key'));
      }
      clients.set(config.apiKey, airlock);
      return airlock;
    },
  });
  server = await new Promise<Server>((resolve) => {
    const s = mcp.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
});

afterAll(async () => {
  await mcp.close();
  await new Promise((resolve) => server.close(resolve));
});

async function connect(key = GOOD_KEY): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

describe('streamable HTTP transport', () => {
  test('a session calls the API with the key it was opened with', async () => {
    const { client, transport } = await connect();
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(7);
    const result = (await client.callTool({
      name: 'run_code',
      arguments: { language: 'python', code: 'print(6*7)' },
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ status: 'succeeded', run: { stdout: '42\n' } });
    expect(configs).toContainEqual({ baseUrl: 'http://airlock.test:8080', apiKey: GOOD_KEY });
    expect(clients.get(GOOD_KEY)!.executions.run).toHaveBeenCalledTimes(1);
    // The key was checked once, when the session opened.
    expect(clients.get(GOOD_KEY)!.runtimes.list).toHaveBeenCalledTimes(1);
    await transport.terminateSession();
    await client.close();
  });

  test('no bearer key is 401 before the body is read; a key the API refuses is 401 too', async () => {
    const anonymous = await post(INITIALIZE);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="airlock"');
    expect(await anonymous.json()).toEqual({
      error: { code: 'unauthenticated', message: 'missing Authorization: Bearer <Airlock API key>' },
    });
    expect((await post(INITIALIZE, { authorization: 'Basic abc' })).status).toBe(401);

    const refused = await post(INITIALIZE, { authorization: 'Bearer ak_bad_1' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="airlock", error="invalid_token"');
    await expect(connect('ak_bad_2')).rejects.toThrow();
  });

  test('another key cannot use a session, whose id alone is worth nothing', async () => {
    const { client, transport } = await connect();
    const sessionId = transport.sessionId!;
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const stolen = await post(list, {
      authorization: `Bearer ${OTHER_KEY}`,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(stolen.status).toBe(404);
    const unknown = await post(list, { authorization: `Bearer ${GOOD_KEY}`, 'mcp-session-id': 'nope' });
    expect(unknown.status).toBe(404);
    const noSession = await post(list, { authorization: `Bearer ${GOOD_KEY}` });
    expect(noSession.status).toBe(400);
    expect((await client.listTools()).tools).toHaveLength(7);
    await client.close();
  });

  test('DELETE ends the session', async () => {
    const before = mcp.sessionCount();
    const { client, transport } = await connect();
    expect(mcp.sessionCount()).toBe(before + 1);
    await transport.terminateSession();
    expect(mcp.sessionCount()).toBe(before);
    await client.close();
  });

  test('a Host header other than loopback is refused (DNS rebinding)', async () => {
    // fetch() will not set Host; node:http will.
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: '/mcp',
          method: 'POST',
          headers: { host: 'evil.example', authorization: `Bearer ${GOOD_KEY}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(INITIALIZE));
    });
    expect(status).toBe(403);
  });

  test('a 1 MiB file fits in a request', async () => {
    const { client } = await connect();
    const created = (await client.callTool({
      name: 'sandbox_create',
      arguments: { language: 'python' },
    })) as CallToolResult;
    const sandboxId = (created.structuredContent as { id: string }).id;
    const content = Buffer.alloc(1_048_576, 7).toString('base64');
    const written = (await client.callTool({
      name: 'sandbox_write_file',
      arguments: { sandboxId, path: 'big.bin', content, encoding: 'base64' },
    })) as CallToolResult;
    expect(written.isError).toBeFalsy();
    expect(written.structuredContent).toMatchObject({ bytes: 1_048_576 });
    await client.close();
  });
});
