import { FakeApiError, processResult, stepResult } from './fake-airlock';

import { airlock, call, client, connect, structured, text, useMcpClient } from './mcp-harness';

useMcpClient();

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
