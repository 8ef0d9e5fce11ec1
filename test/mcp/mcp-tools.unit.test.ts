import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer, RUNTIMES_URI } from '../../mcp/server';
import {
  executionResult,
  FakeApiError,
  fakeAirlock,
  processResult,
  RUNTIMES,
  stepResult,
  type FakeAirlock,
} from './fake-airlock';

let airlock: FakeAirlock;
let client: Client;

async function connect(opts: { maxTextChars?: number; heartbeatMs?: number } = {}): Promise<void> {
  airlock = fakeAirlock();
  const server = createMcpServer({ client: airlock, ...opts });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  client = new Client({ name: 'test', version: '1.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
}

beforeEach(() => connect());
afterEach(() => client.close());

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The text blocks of a result, joined. */
function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function structured<T = Record<string, unknown>>(result: CallToolResult): T {
  return result.structuredContent as T;
}

describe('tool listing', () => {
  test('lists every tool, with a description and a strict input schema', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'run_code',
      'sandbox_close',
      'sandbox_create',
      'sandbox_exec',
      'sandbox_list_files',
      'sandbox_read_file',
      'sandbox_write_file',
    ]);
    for (const tool of tools) {
      expect(tool.description!.length).toBeGreaterThan(40);
      expect(tool.inputSchema).toMatchObject({ type: 'object', additionalProperties: false });
    }
    const runCode = tools.find((t) => t.name === 'run_code')!;
    expect(runCode.inputSchema.required?.sort()).toEqual(['code', 'language']);
    expect(Object.keys(runCode.inputSchema.properties ?? {}).sort()).toEqual([
      'code',
      'language',
      'policy',
      'stdin',
      'timeoutSeconds',
    ]);
    expect(tools.find((t) => t.name === 'sandbox_read_file')!.annotations?.readOnlyHint).toBe(true);
  });

  test('the runtimes are a JSON resource', async () => {
    const { resources } = await client.listResources();
    expect(resources).toEqual([expect.objectContaining({ uri: RUNTIMES_URI, mimeType: 'application/json' })]);
    const read = await client.readResource({ uri: RUNTIMES_URI });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual({ runtimes: RUNTIMES });
  });
});

describe('run_code', () => {
  test('runs the code once and answers a summary plus the whole result', async () => {
    const result = await call('run_code', { language: 'python', code: 'print(6*7)', stdin: 'x', timeoutSeconds: 1.5 });
    expect(airlock.executions.run).toHaveBeenCalledWith(
      { language: 'python', code: 'print(6*7)', stdin: 'x', limits: { timeoutMs: 1500 } },
      { signal: expect.any(AbortSignal) },
    );
    expect(result.isError).toBeFalsy();
    expect(text(result)).toContain('status: succeeded');
    expect(text(result)).toContain('exit code: 0');
    expect(text(result)).toMatch(/--- stdout \(3 bytes\) ---\n42\n--- end of stdout ---/);
    expect(text(result)).toContain('--- stderr: (empty) ---');
    expect(structured(result)).toEqual(executionResult());
  });

  test('a failing program is a normal result, not an error', async () => {
    airlock.executions.run.mockResolvedValueOnce(
      executionResult({
        status: 'runtime_error',
        run: processResult({ exitCode: 1, stderr: 'Traceback (most recent call last):\nZeroDivisionError\n' }),
      }),
    );
    const result = await call('run_code', { language: 'python', code: '1/0' });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toContain('status: runtime_error (the program exited non-zero)');
    expect(text(result)).toContain('exit code: 1');
    expect(text(result)).toContain('ZeroDivisionError');
  });

  test('reports truncation, the limit that ended the program, the time limit and compile output', async () => {
    airlock.executions.run.mockResolvedValueOnce(
      executionResult({
        status: 'output_limit_exceeded',
        run: processResult({
          exitCode: null,
          signal: 'SIGKILL',
          stdout: 'y\n'.repeat(10),
          stdoutBytes: 9_000_000,
          stdoutTruncated: true,
          limitExceeded: 'output',
        }),
      }),
    );
    const out = text(await call('run_code', { language: 'python', code: 'while True: print("y")' }));
    expect(out).toContain('status: output_limit_exceeded');
    expect(out).toContain('signal: SIGKILL');
    expect(out).toContain('limit exceeded: output');
    expect(out).toContain('stdout (9000000 bytes, truncated');

    airlock.executions.run.mockResolvedValueOnce(
      executionResult({
        status: 'compile_error',
        language: 'c',
        compile: processResult({ exitCode: 1, stderr: "main.c:1: error: expected ';'\n" }),
        run: null,
        error: { type: 'compile_error', message: "main.c:1: error: expected ';'" },
      }),
    );
    const compiled = text(await call('run_code', { language: 'c', code: 'int main() { return 0 }' }));
    expect(compiled).toContain('status: compile_error');
    expect(compiled).toContain('compile exit code: 1');
    expect(compiled).toContain("--- compile stderr (30 bytes) ---\nmain.c:1: error: expected ';'");

    airlock.executions.run.mockResolvedValueOnce(
      executionResult({ status: 'time_limit_exceeded', timeLimit: 'wall', run: processResult({ exitCode: 137 }) }),
    );
    expect(text(await call('run_code', { language: 'python', code: 'while True: pass' }))).toContain(
      'time limit: wall',
    );
  });

  test('code a gate blocked says which gate, rule and line', async () => {
    airlock.executions.run.mockResolvedValueOnce(
      executionResult({
        status: 'rejected',
        run: null,
        error: { type: 'gate_blocked', message: 'blocked by the secrets gate' },
        gates: [
          {
            gate: 'secrets',
            verdict: 'block',
            findings: [
              {
                gate: 'secrets',
                ruleId: 'aws-access-key-id',
                severity: 'critical',
                message: 'AWS access key id',
                location: { path: 'main.py', line: 2, column: 7 },
                tool: 'airlock-secrets',
              },
            ],
            tools: [],
            error: null,
            note: null,
          },
        ],
      }),
    );
    const result = await call('run_code', { language: 'python', code: 'key = "AKIA..."' });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toContain('status: rejected (a policy gate blocked the code before it ran)');
    expect(text(result)).toContain('error: blocked by the secrets gate');
    expect(text(result)).toContain('gate secrets: block (critical aws-access-key-id: AWS access key id at main.py:2)');
    expect(text(result)).toContain('the program did not run');
  });

  test('long output is clipped in the text and whole in structuredContent', async () => {
    await client.close();
    await connect({ maxTextChars: 1000 });
    const stdout = `${'a'.repeat(30_000)}THE END\n`;
    airlock.executions.run.mockResolvedValueOnce(executionResult({ run: processResult({ stdout }) }));
    const result = await call('run_code', { language: 'python', code: 'print(...)' });
    expect(text(result).length).toBeLessThan(2000);
    expect(text(result)).toMatch(/characters omitted here; the full text is in structuredContent/);
    expect(text(result)).toContain('THE END');
    expect(structured<{ run: { stdout: string } }>(result).run.stdout).toBe(stdout);
  });

  test("an API error is an isError result naming the field, in the tool's terms", async () => {
    airlock.executions.run.mockRejectedValueOnce(
      new FakeApiError(400, 'policy_violation', 'limits.timeoutMs: must be at most 60000', 'limits.timeoutMs', [
        { field: 'limits.timeoutMs', message: 'must be at most 60000' },
      ]),
    );
    const result = await call('run_code', { language: 'python', code: 'print(1)', timeoutSeconds: 600 });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('Airlock answered 400 policy_violation: limits.timeoutMs: must be at most 60000');
    expect(text(result)).toContain('field: timeoutSeconds (API field limits.timeoutMs)');
    expect(structured(result)).toEqual({
      error: {
        status: 400,
        code: 'policy_violation',
        message: 'limits.timeoutMs: must be at most 60000',
        field: 'limits.timeoutMs',
        issues: [{ field: 'limits.timeoutMs', message: 'must be at most 60000' }],
      },
    });
  });

  test('an unreachable API or a bad key is an isError result, never a crash', async () => {
    airlock.executions.run.mockRejectedValueOnce(
      new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8080') }),
    );
    const down = await call('run_code', { language: 'python', code: 'print(1)' });
    expect(down.isError).toBe(true);
    expect(text(down)).toBe('The call to Airlock failed: fetch failed: connect ECONNREFUSED 127.0.0.1:8080');

    airlock.executions.run.mockRejectedValueOnce(
      new FakeApiError(401, 'unauthenticated', 'invalid or revoked API key'),
    );
    const badKey = await call('run_code', { language: 'python', code: 'print(1)' });
    expect(badKey.isError).toBe(true);
    expect(text(badKey)).toContain('API key is missing, invalid or revoked');
  });

  test('invalid arguments are refused before any call, naming the argument', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ language: 'python' }, /code/],
      [{ language: 'Python 3', code: 'x' }, /language/],
      [{ language: 'python', code: 'x', timeout: 5 }, /timeout/],
      [{ language: 'python', code: 'x', timeoutSeconds: -1 }, /timeoutSeconds/],
      [{ language: 'python', code: 'x', policy: '../etc' }, /policy/],
    ];
    for (const [args, field] of cases) {
      const result = await call('run_code', args);
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/Input validation error/);
      expect(text(result)).toMatch(field);
    }
    expect(airlock.executions.run).not.toHaveBeenCalled();
  });

  test('a long run reports progress to a client that asked for it', async () => {
    await client.close();
    await connect({ heartbeatMs: 10 });
    airlock.executions.run.mockImplementationOnce(
      () => new Promise((resolve) => setTimeout(() => resolve(executionResult()), 100)),
    );
    const progress: number[] = [];
    const result = (await client.callTool(
      { name: 'run_code', arguments: { language: 'python', code: 'x' } },
      undefined,
      {
        onprogress: (p) => progress.push(p.progress),
        resetTimeoutOnProgress: true,
      },
    )) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });
});

describe('sandbox tools', () => {
  async function create(): Promise<string> {
    const result = await call('sandbox_create', { language: 'python', idleTimeoutSeconds: 60 });
    expect(result.isError).toBeFalsy();
    return structured<{ id: string }>(result).id;
  }

  test('create answers the sandbox id and state', async () => {
    const result = await call('sandbox_create', { language: 'python', policy: 'default', maxLifetimeSeconds: 600 });
    expect(airlock.sandboxes.create).toHaveBeenCalledWith(
      { language: 'python', policy: 'default', maxLifetimeSeconds: 600 },
      { signal: expect.any(AbortSignal) },
    );
    expect(text(result)).toContain('sandbox sbx_1: ready (python, policy default, 0 steps)');
    expect(text(result)).toContain('Use sandboxId "sbx_1"');
    expect(structured(result)).toMatchObject({ id: 'sbx_1', status: 'ready', idleTimeoutSeconds: 300 });
  });

  test('a sandbox that could not start is an error result saying why', async () => {
    airlock.sandboxes.create.mockImplementationOnce(async () => {
      const { fakeSandbox, sandboxInfo } = await import('./fake-airlock');
      return fakeSandbox(
        sandboxInfo({
          id: 'sbx_f',
          status: 'failed',
          end: { reason: 'rejected', message: 'language ruby is not allowed by policy ci-gate', at: 'now' },
        }),
      );
    });
    const result = await call('sandbox_create', { language: 'ruby', policy: 'ci-gate' });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('ended: rejected: language ruby is not allowed by policy ci-gate');

    // The SDK throws instead (AirlockSandboxFailedError), with the sandbox attached.
    const failed = Object.assign(
      new FakeApiError(201, 'sandbox_failed', 'sandbox sbx_g failed to start: provision_failed: no host'),
      { sandbox: { id: 'sbx_g', status: 'failed' } },
    );
    airlock.sandboxes.create.mockRejectedValueOnce(failed);
    const thrown = await call('sandbox_create', { language: 'python' });
    expect(thrown.isError).toBe(true);
    expect(text(thrown)).toContain('sandbox sbx_g failed to start: provision_failed: no host');
    expect(text(thrown)).toContain('could not start');
    expect(structured(thrown)).toMatchObject({ error: { code: 'sandbox_failed', sandbox: { id: 'sbx_g' } } });
  });

  test('write, exec, read, list and close, one API call each', async () => {
    const id = await create();
    const sbx = airlock.known.get(id)!;

    const written = await call('sandbox_write_file', { sandboxId: id, path: 'main.py', content: 'print("hi")\n' });
    expect(written.isError).toBeFalsy();
    expect(sbx.files.write).toHaveBeenCalledWith('main.py', 'print("hi")\n', { signal: expect.any(AbortSignal) });
    expect(text(written)).toBe(`wrote 12 bytes to main.py (sha256 ${'f'.repeat(64)})`);

    sbx.exec.mockResolvedValueOnce(stepResult({ sandboxId: id, index: 2, process: processResult({ stdout: 'hi\n' }) }));
    const ran = await call('sandbox_exec', { sandboxId: id, command: 'python3 main.py', timeoutSeconds: 5 });
    expect(sbx.exec).toHaveBeenCalledWith('python3 main.py', { signal: expect.any(AbortSignal), timeoutSeconds: 5 });
    expect(text(ran)).toContain('status: succeeded');
    expect(text(ran)).toContain(`step: stp_1 (#2 of sandbox ${id})`);
    expect(text(ran)).toContain('hi\n');
    expect(structured(ran)).toMatchObject({ stepId: 'stp_1', status: 'succeeded' });

    await call('sandbox_exec', { sandboxId: id, command: ['ls', '-la'] });
    expect(sbx.exec).toHaveBeenLastCalledWith(['ls', '-la'], { signal: expect.any(AbortSignal) });
    await call('sandbox_exec', { sandboxId: id, code: 'print(input())', stdin: 'typed' });
    expect(sbx.run).toHaveBeenCalledWith('print(input())', { signal: expect.any(AbortSignal), stdin: 'typed' });

    const read = await call('sandbox_read_file', { sandboxId: id, path: 'main.py' });
    expect(read.content).toEqual([{ type: 'text', text: 'print("hi")\n' }]);
    expect(structured(read)).toEqual({ path: 'main.py', bytes: 12, encoding: 'utf8', content: 'print("hi")\n' });

    const listed = await call('sandbox_list_files', { sandboxId: id });
    expect(sbx.files.list).toHaveBeenCalledWith('.', { signal: expect.any(AbortSignal) });
    expect(text(listed)).toBe('.: 1 entries\nmain.py  file  12 bytes');

    const closed = await call('sandbox_close', { sandboxId: id });
    expect(text(closed)).toContain(`sandbox ${id}: closed`);
    expect(text(closed)).toContain('ended: closed: closed by its owner');
    // The handle from sandbox_create served every call.
    expect(airlock.sandboxes.get).not.toHaveBeenCalled();
  });

  test('binary files: written from base64, read back as base64 with a note', async () => {
    const id = await create();
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const written = await call('sandbox_write_file', {
      sandboxId: id,
      path: 'data/blob.bin',
      content: bytes.toString('base64'),
      encoding: 'base64',
    });
    expect(written.isError).toBeFalsy();
    expect(Buffer.from(airlock.known.get(id)!.workspace.get('data/blob.bin')!)).toEqual(bytes);

    const read = await call('sandbox_read_file', { sandboxId: id, path: 'data/blob.bin' });
    expect(read.content).toEqual([
      { type: 'text', text: 'data/blob.bin: 4 bytes, given as base64 because it is not valid UTF-8 text:' },
      { type: 'text', text: bytes.toString('base64') },
    ]);
    expect(structured(read)).toMatchObject({ encoding: 'base64', content: '//4AQQ==' });

    await call('sandbox_write_file', { sandboxId: id, path: 'a.txt', content: 'text' });
    const asked = await call('sandbox_read_file', { sandboxId: id, path: 'a.txt', encoding: 'base64' });
    expect(text(asked)).toContain('given as base64 as asked');
    expect(structured(asked)).toMatchObject({ content: Buffer.from('text').toString('base64') });

    const bad = await call('sandbox_write_file', {
      sandboxId: id,
      path: 'x',
      content: 'not base64!',
      encoding: 'base64',
    });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toBe('Invalid argument content: is not valid base64');
  });

  test('exec needs exactly one of code or command', async () => {
    const id = await create();
    for (const args of [{}, { code: 'print(1)', command: 'ls' }]) {
      const result = await call('sandbox_exec', { sandboxId: id, ...args });
      expect(result.isError).toBe(true);
      expect(structured(result)).toEqual({
        error: { code: 'invalid_argument', field: 'code', message: 'give exactly one of code or command' },
      });
    }
    expect(airlock.known.get(id)!.run).not.toHaveBeenCalled();
  });

  test('a sandbox from elsewhere is looked up once; API errors name the field', async () => {
    const id = await create();
    // A second session (another server) knows the id only.
    await client.close();
    const known = airlock.known;
    await connect();
    airlock.known.set(id, known.get(id)!);

    expect((await call('sandbox_list_files', { sandboxId: id, path: 'src' })).isError).toBeFalsy();
    expect((await call('sandbox_list_files', { sandboxId: id })).isError).toBeFalsy();
    expect(airlock.sandboxes.get).toHaveBeenCalledTimes(1);

    const missing = await call('sandbox_read_file', { sandboxId: id, path: 'nope.txt' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toContain('Airlock answered 404 file_not_found: no such file: nope.txt');
    expect(text(missing)).toContain('field: path (API field query.path)');

    const unknown = await call('sandbox_exec', { sandboxId: 'sbx_nope', command: 'true' });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toContain('Airlock answered 404 not_found');
  });

  test('a step sent to an ended sandbox says to create a new one', async () => {
    const id = await create();
    airlock.known
      .get(id)!
      .run.mockRejectedValueOnce(new FakeApiError(409, 'sandbox_ended', `sandbox ${id} has ended (idle_timeout)`));
    const result = await call('sandbox_exec', { sandboxId: id, code: 'print(1)' });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('Airlock answered 409 sandbox_ended');
    expect(text(result)).toContain('create a new one with sandbox_create');
  });

  test('paths and ids are checked as the API checks them', async () => {
    const id = await create();
    for (const [tool, args, field] of [
      ['sandbox_write_file', { sandboxId: id, path: '../etc/passwd', content: 'x' }, 'path'],
      ['sandbox_write_file', { sandboxId: id, path: '/abs', content: 'x' }, 'path'],
      ['sandbox_read_file', { sandboxId: 'sbx/../x', path: 'a' }, 'sandboxId'],
      ['sandbox_list_files', { sandboxId: id, path: 'a//b' }, 'path'],
      ['sandbox_create', { language: 'python', idleTimeoutSeconds: 5 }, 'idleTimeoutSeconds'],
    ] as const) {
      const result = await call(tool, args);
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/Input validation error/);
      expect(text(result)).toContain(field);
    }
  });
});
