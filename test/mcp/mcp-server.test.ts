import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { createLogger } from '../../lib/node/logger';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import type { SandboxInfo, StepResult } from '../../lib/schemas/sandbox';
import { serveHttp } from '../../mcp/http';
import { RUNTIMES_URI } from '../../mcp/server';
import { createTestApi, listen } from '../support/api';
import { TestCluster } from '../support/cluster';

/** The stdio entry as users run it: the build's output, spawned as a separate process. */
const STDIO_ENTRY = path.join(PROJECT_ROOT, 'dist', 'mcp', 'stdio.js');
/** Containers start and programs run: longer than the client's default 60 s per request. */
const CALL_TIMEOUT_MS = 150_000;

let cluster: TestCluster;
let api: Awaited<ReturnType<typeof listen>>;
let apiUrl: string;
let apiKey: string;
let otherTenantKey: string;
let mcpHttp: { url: string; close(): Promise<void> };
let stdioStderr = '';

beforeAll(async () => {
  if (!fs.existsSync(STDIO_ENTRY)) throw new Error(`${STDIO_ENTRY} is missing: run \`npm run build\` first`);
  cluster = await TestCluster.start();
  const testApi = createTestApi(cluster);
  apiKey = testApi.key;
  otherTenantKey = testApi.otherTenantKey;
  api = await listen(testApi.app);
  apiUrl = api.url;
  mcpHttp = await serveHttp({ apiUrl, port: 0, log: createLogger('mcp-test', 'silent') });
});

afterAll(async () => {
  await mcpHttp?.close();
  await api?.close();
  await cluster?.stop();
});

type Connect = (key?: string) => Promise<Client>;

const connectStdio: Connect = async (key = apiKey) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [STDIO_ENTRY],
    env: { AIRLOCK_URL: apiUrl, AIRLOCK_API_KEY: key, AIRLOCK_LOG_LEVEL: 'warn' },
    stderr: 'pipe',
  });
  // Kept for the failure message: the server logs there, never on stdout (the protocol).
  transport.stderr?.on('data', (d: Buffer) => (stdioStderr += d.toString()));
  const client = new Client({ name: 'airlock-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
};

const connectHttp: Connect = async (key = apiKey) => {
  const transport = new StreamableHTTPClientTransport(new URL(mcpHttp.url), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'airlock-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
};

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args }, undefined, {
    timeout: CALL_TIMEOUT_MS,
  })) as CallToolResult;
  return result;
}

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** Fails with what the tool said (and what the stdio server logged), not just `expected false`. */
function expectOk(result: CallToolResult): void {
  if (!result.isError) return;
  throw new Error(`tool error: ${text(result)}${stdioStderr ? `\nstdio server stderr:\n${stdioStderr}` : ''}`);
}

describe.each([
  ['stdio', connectStdio],
  ['streamable HTTP', connectHttp],
] as const)('MCP server over %s', (_transport, connect) => {
  let client: Client;

  beforeAll(async () => {
    client = await connect();
  });

  afterAll(async () => {
    await client?.close();
  });

  test('lists the tools and the runtimes resource', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['run_code', 'sandbox_create', 'sandbox_exec', 'sandbox_write_file', 'sandbox_close']),
    );
    const read = await client.readResource({ uri: RUNTIMES_URI });
    const { runtimes } = JSON.parse((read.contents[0] as { text: string }).text) as {
      runtimes: Array<{ name: string }>;
    };
    expect(runtimes.map((r) => r.name)).toContain('python');
  });

  test('run_code runs a program once', async () => {
    const result = await call(client, 'run_code', { language: 'python', code: 'print(6*7)' });
    expectOk(result);
    const execution = result.structuredContent as ExecutionResult;
    expect(execution).toMatchObject({ status: 'succeeded', run: { exitCode: 0, stdout: '42\n' } });
    expect(text(result)).toContain('status: succeeded');
    expect(text(result)).toMatch(/--- stdout \(3 bytes\) ---\n42\n/);
  });

  test('run_code shows a chart the program drew as image content', async () => {
    const code = [
      'import pandas as pd',
      'import matplotlib.pyplot as plt',
      "pd.DataFrame({'x': [1, 2, 3], 'y': [1, 4, 9]}).plot(x='x', y='y')",
      'plt.show()',
    ].join('\n');
    const result = await call(client, 'run_code', { language: 'python', code });
    expectOk(result);
    const execution = result.structuredContent as ExecutionResult;
    expect(execution.status).toBe('succeeded');
    const [figure] = execution.artifacts ?? [];
    expect(figure).toMatchObject({ name: '.airlock/figures/figure-1.png', mimeType: 'image/png', origin: 'figure' });
    const images = result.content.filter((c) => c.type === 'image');
    expect(images).toEqual([{ type: 'image', mimeType: 'image/png', data: figure!.data }]);
    expect(Buffer.from(figure!.data!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(text(result)).toContain('.airlock/figures/figure-1.png (image/png');
    expect(text(result)).toContain('shown below');
  });

  test('a failing program is a result; an argument the API refuses is an error naming it', async () => {
    const failed = await call(client, 'run_code', { language: 'python', code: 'import sys\nsys.exit(3)' });
    expect(failed.isError).toBeFalsy();
    expect(failed.structuredContent).toMatchObject({ status: 'runtime_error', run: { exitCode: 3 } });

    const refused = await call(client, 'run_code', { language: 'cobol', code: 'DISPLAY "HI".' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/Airlock answered 400 [a-z_]+/);
    expect(text(refused)).toContain('language');
  });

  test('a sandbox: create, write a file, run it, read what it wrote, close', async () => {
    const created = await call(client, 'sandbox_create', { language: 'python', idleTimeoutSeconds: 120 });
    expectOk(created);
    const info = created.structuredContent as SandboxInfo;
    expect(info).toMatchObject({ status: 'ready', language: 'python' });
    const sandboxId = info.id;
    try {
      const program =
        'with open("out/result.txt", "w") as f:\n    f.write("written by the program\\n")\nprint("done")\n';
      expectOk(await call(client, 'sandbox_write_file', { sandboxId, path: 'main.py', content: program }));
      // The program writes into a directory that must exist: made by an earlier step, kept for this one.
      expectOk(await call(client, 'sandbox_exec', { sandboxId, command: ['mkdir', '-p', 'out'] }));

      const ran = await call(client, 'sandbox_exec', { sandboxId, command: 'python3 main.py' });
      expectOk(ran);
      const step = ran.structuredContent as StepResult;
      // The summary (error, stderr) says more than an object diff would.
      if (step.status !== 'succeeded') throw new Error(`the step ended ${step.status}:\n${text(ran)}`);
      expect(step).toMatchObject({
        status: 'succeeded',
        process: { exitCode: 0, stdout: 'done\n' },
      });

      const read = await call(client, 'sandbox_read_file', { sandboxId, path: 'out/result.txt' });
      expectOk(read);
      expect(read.content).toEqual([{ type: 'text', text: 'written by the program\n' }]);

      const listed = await call(client, 'sandbox_list_files', { sandboxId });
      expectOk(listed);
      expect(text(listed)).toMatch(/^\.: \d+ entries\n/);
      expect(text(listed)).toContain('main.py  file');
      expect(text(listed)).toContain('out/  directory');

      const missing = await call(client, 'sandbox_read_file', { sandboxId, path: 'nope.txt' });
      expect(missing.isError).toBe(true);
      expect(text(missing)).toContain('404');
    } finally {
      const closed = await call(client, 'sandbox_close', { sandboxId });
      expectOk(closed);
      expect(closed.structuredContent).toMatchObject({ id: sandboxId, status: 'closed', end: { reason: 'closed' } });
    }
    const after = await call(client, 'sandbox_exec', { sandboxId, command: 'true' });
    expect(after.isError).toBe(true);
  });

  test("another tenant's key cannot reach the sandbox", async () => {
    const created = await call(client, 'sandbox_create', { language: 'python' });
    expectOk(created);
    const sandboxId = (created.structuredContent as SandboxInfo).id;
    const other = await connect(otherTenantKey);
    try {
      const result = await call(other, 'sandbox_exec', { sandboxId, command: 'true' });
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('404');
    } finally {
      await other.close();
      await call(client, 'sandbox_close', { sandboxId });
    }
  });
});

test('the HTTP endpoint answers 401 without a bearer key', async () => {
  const res = await fetch(mcpHttp.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
  });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toContain('Bearer');
});

test('the HTTP endpoint refuses a key the API does not know', async () => {
  await expect(connectHttp('ak_0000000000000000_' + 'y'.repeat(43))).rejects.toThrow();
});
