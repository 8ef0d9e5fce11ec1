import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { RUNTIMES_URI } from '../../mcp/server';
import { executionResult, FakeApiError, processResult, RUNTIMES } from './fake-airlock';

import { airlock, call, client, connect, structured, text, useMcpClient } from './mcp-harness';

useMcpClient();

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
      'template',
      'timeoutSeconds',
      'version',
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

  test('a version goes to the API as asked; a malformed one is refused before any call', async () => {
    await call('run_code', { language: 'python', version: '3.11', code: 'print(1)' });
    expect(airlock.executions.run).toHaveBeenCalledWith(
      { language: 'python', version: '3.11', code: 'print(1)' },
      { signal: expect.any(AbortSignal) },
    );
    airlock.executions.run.mockClear();
    const refused = await call('run_code', { language: 'python', version: 'newest', code: 'print(1)' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/version/);
    expect(airlock.executions.run).not.toHaveBeenCalled();
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

  test('a stored output says its text is a preview, and where the whole is, with its size and digest', async () => {
    const preview = 'é'.repeat(8000);
    const stdoutRef = { sha256: 'a1'.repeat(32), bytes: 204_830 };
    const compileRef = { sha256: 'c0'.repeat(32), bytes: 40_000 };
    airlock.executions.run.mockResolvedValueOnce(
      executionResult({
        id: 'ex_stored',
        status: 'runtime_error',
        run: processResult({ exitCode: 1, stdout: preview, stdoutBytes: 204_800, stdoutRef, stderr: 'oops\n' }),
      }),
    );
    const out = text(await call('run_code', { language: 'python', code: 'print(...)' }));
    expect(out).toContain(
      `--- stdout (204800 bytes, cut to a preview of its first 16000 bytes; the whole (204830 bytes, sha256 ${stdoutRef.sha256}) ` +
        'is at GET /v1/executions/ex_stored/outputs/run/stdout) ---\n',
    );
    expect(out).toContain(`${preview}\n--- end of stdout preview ---`);
    // A stream that fits says nothing more than before.
    expect(out).toContain('--- stderr (5 bytes) ---\noops\n--- end of stderr ---');

    // Clipped further in the text: structuredContent holds the preview, not the whole.
    await client.close();
    await connect({ maxTextChars: 1000 });
    airlock.executions.run.mockResolvedValueOnce(
      executionResult({
        id: 'ex_stored',
        status: 'compile_error',
        compile: processResult({ exitCode: 1, stderr: 'w'.repeat(16_000), stderrBytes: 40_000, stderrRef: compileRef }),
        run: null,
      }),
    );
    const compiled = text(await call('run_code', { language: 'c', code: 'int main() {' }));
    expect(compiled).toContain(
      `--- compile stderr (40000 bytes, cut to a preview of its first 16000 bytes; the whole (40000 bytes, sha256 ${compileRef.sha256}) ` +
        'is at GET /v1/executions/ex_stored/outputs/compile/stderr) ---',
    );
    expect(compiled).toContain('[15000 characters omitted here; the preview is whole in structuredContent]');
    expect(compiled).toContain('--- end of compile stderr preview ---');
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
