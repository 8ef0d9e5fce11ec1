/**
 * A client's mistakes over HTTP: each is a 4xx naming the field and the reason, never a 500 —
 * bad fields, bodies that are not JSON, not UTF-8 or not encoded as they say, bad percent-encoding
 * in a path, and a request the client stops sending.
 */
import net from 'node:net';
import zlib from 'node:zlib';
import request from 'supertest';
import { BODY_LIMIT_BYTES } from '../../api/body';
import { eventually } from '../support/docker';
import { useTestApi } from '../support/api';
import { ApiProcess } from '../support/api-process';

const api = useTestApi();
const { auth, get } = api;
const post = (body: unknown, query = '') => api.post(`/v1/executions${query}`, body as object);
const cancel = (id: string, key?: string) => api.post(`/v1/executions/${id}/cancel`, undefined, key);

/** A POST of these exact bytes, under the headers given. */
const postBytes = (bytes: Buffer, headers: Record<string, string> = {}) =>
  request(api.app)
    .post('/v1/executions')
    .set(auth())
    .set({ 'content-type': 'application/json', ...headers })
    // As bytes: superagent would otherwise serialise the Buffer object as JSON.
    .serialize((b: Buffer) => b as unknown as string)
    .send(bytes);

async function expectBadRequest(body: unknown, field: string, message: RegExp): Promise<void> {
  const res = await post(body);
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({ code: 'invalid_request', field });
  expect(res.body.error.message).toMatch(message);
}

describe('HTTP API', () => {
  describe('bad input is a 4xx naming the field and the reason', () => {
    test('missing or mistyped fields', async () => {
      await expectBadRequest({ code: 'print(1)' }, 'language', /language/);
      await expectBadRequest({ language: 42, code: 'x' }, 'language', /expected string/);
      await expectBadRequest({ language: 'python' }, 'code', /either code or files is required/);
      await expectBadRequest({ language: 'python', code: 1 }, 'code', /expected string/);
      await expectBadRequest({ language: 'python', code: 'x', stdin: 5 }, 'stdin', /expected string/);
      await expectBadRequest({ language: 'python', code: 'x', args: 'a b' }, 'args', /expected array/);
    });

    test('unknown runtime, policy or field', async () => {
      await expectBadRequest(
        { language: 'cobol', code: 'x' },
        'language',
        /unknown runtime "cobol"; available: .*python/,
      );
      await expectBadRequest({ language: 'python', code: 'x', policy: 'nope' }, 'policy', /unknown policy "nope"/);
      await expectBadRequest({ language: 'python', code: 'x', langauge: 'python' }, '(body)', /langauge/);
    });

    test('a version the language does not have, or one that is not a version', async () => {
      await expectBadRequest(
        { language: 'python', version: '2.7', code: 'x' },
        'version',
        /^version: python has no version "2\.7"; available: 3\.13, 3\.11$/,
      );
      await expectBadRequest({ language: 'python', version: 'latest', code: 'x' }, 'version', /must be a version/);
      await expectBadRequest({ language: 'python', version: 3.13, code: 'x' }, 'version', /expected string/);
    });

    test('files, paths and entrypoints', async () => {
      const file = { path: 'main.py', content: 'print(1)' };
      await expectBadRequest(
        { language: 'python', code: 'x', files: [file], entrypoint: 'main.py' },
        'files',
        /not both/,
      );
      await expectBadRequest({ language: 'python', files: [file] }, 'entrypoint', /required with files/);
      await expectBadRequest(
        { language: 'python', files: [file], entrypoint: 'other.py' },
        'entrypoint',
        /one of the files/,
      );
      await expectBadRequest(
        { language: 'python', files: [{ path: '../etc/passwd', content: '' }], entrypoint: '../etc/passwd' },
        'files.0.path',
        /\.\./,
      );
      await expectBadRequest(
        { language: 'python', files: [{ path: '/abs.py', content: '' }], entrypoint: '/abs.py' },
        'files.0.path',
        /relative/,
      );
      await expectBadRequest(
        { language: 'python', files: [file, file], entrypoint: 'main.py' },
        'files',
        /duplicate path/,
      );
      await expectBadRequest(
        { language: 'python', files: [{ ...file, encoding: 'hex' }], entrypoint: 'main.py' },
        'files.0.encoding',
        /utf8|base64/,
      );
    });

    test('limits and env', async () => {
      await expectBadRequest(
        { language: 'python', code: 'x', limits: { timeoutMs: -1 } },
        'limits.timeoutMs',
        /positive/,
      );
      await expectBadRequest(
        { language: 'python', code: 'x', limits: { timeoutMs: 1.5 } },
        'limits.timeoutMs',
        /integer/,
      );
      await expectBadRequest({ language: 'python', code: 'x', limits: { cpu: 4 } }, 'limits', /cpu/);
      await expectBadRequest({ language: 'python', code: 'x', env: { PATH: '/evil' } }, 'env.PATH', /reserved/);
      await expectBadRequest({ language: 'python', code: 'x', env: { 'BAD-NAME': '1' } }, 'env.BAD-NAME', /must match/);
    });

    test('body that is not a JSON object', async () => {
      const invalid = await request(api.app)
        .post('/v1/executions')
        .set(auth())
        .set('content-type', 'application/json')
        .send('{"language":');
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toMatchObject({ code: 'invalid_json', field: '(body)' });

      const array = await post([1, 2]);
      expect(array.status).toBe(400);
      expect(array.body.error).toMatchObject({ field: '(body)', message: '(body): must be a JSON object' });

      const text = await request(api.app)
        .post('/v1/executions')
        .set(auth())
        .set('content-type', 'text/plain')
        .send('print(1)');
      expect(text.status).toBe(415);
      expect(text.body.error.code).toBe('unsupported_media_type');
    });

    test('a body over the limit is 413', async () => {
      const res = await post({ language: 'python', code: 'x'.repeat(BODY_LIMIT_BYTES + 1) });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });

    test('limits above the policy ceilings name the limit', async () => {
      const res = await post({ language: 'python', code: 'x', limits: { timeoutMs: 300_001, memoryMb: 4096 } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'policy_violation',
        field: 'limits.timeoutMs',
        message: 'limits.timeoutMs: 300001 exceeds the policy ceiling 300000',
      });
      expect(res.body.error.issues).toEqual([
        { field: 'limits.timeoutMs', message: '300001 exceeds the policy ceiling 300000' },
        { field: 'limits.memoryMb', message: '4096 exceeds the policy ceiling 2048' },
      ]);
    });

    test("code over the policy's input size is 413 naming the field", async () => {
      const res = await post({ language: 'python', code: '#'.repeat(1_048_577) });
      expect(res.status).toBe(413);
      expect(res.body.error).toMatchObject({ code: 'payload_too_large', field: 'code' });
    });

    test('text that is not valid UTF-8 is refused, never silently repaired', async () => {
      const loneSurrogate = await request(api.app)
        .post('/v1/executions')
        .set(auth())
        .set('content-type', 'application/json')
        .send('{"language":"python","code":"print(1) \\ud800"}');
      expect(loneSurrogate.status).toBe(400);
      expect(loneSurrogate.body.error).toMatchObject({
        field: 'code',
        message: expect.stringContaining('valid Unicode'),
      });

      const rawBytes = Buffer.concat([
        Buffer.from('{"language":"python","code":"print(\''),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('\')"}'),
      ]);
      const invalid = await postBytes(rawBytes);
      expect(invalid.status).toBe(400);
      // The invalid bytes sit in `code`, 36 bytes into the body: the error names that field and the offset.
      expect(invalid.body.error).toMatchObject({
        field: 'code',
        message: 'code: must be valid UTF-8 (invalid bytes at offset 36 of the body; send binary content as base64)',
      });

      await expectBadRequest(
        {
          language: 'python',
          files: [{ path: 'a.py', content: 'not base64!', encoding: 'base64' }],
          entrypoint: 'a.py',
        },
        'files.0.content',
        /not valid base64/,
      );
      await expectBadRequest({ language: 'python', code: 'x', stdin: '\udc00' }, 'stdin', /valid Unicode/);
    });

    test('a file path with a NUL byte', async () => {
      await expectBadRequest(
        { language: 'python', files: [{ path: 'main\0.py', content: 'print(1)' }], entrypoint: 'main\0.py' },
        'files.0.path',
        /^files\.0\.path: must not contain NUL$/,
      );
    });

    test('a body not encoded as its Content-Encoding says', async () => {
      const json = Buffer.from(JSON.stringify({ language: 'python', code: 'print(1)' }));
      for (const encoding of ['gzip', 'br', 'deflate']) {
        const res = await postBytes(json, { 'content-encoding': encoding });
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'invalid_request', field: '(body)' });
        expect(res.body.error.message).toMatch(new RegExp(`^\\(body\\): is not valid ${encoding} data \\(.+\\)$`));
      }
      const truncated = await postBytes(zlib.gzipSync(json).subarray(0, 12), { 'content-encoding': 'gzip' });
      expect(truncated.status).toBe(400);
      expect(truncated.body.error).toMatchObject({ field: '(body)', message: expect.stringContaining('gzip') });
      const unknown = await postBytes(json, { 'content-encoding': 'compress' });
      expect(unknown.status).toBe(415);
      expect(unknown.body.error.code).toBe('unsupported_encoding');
      // The same body really compressed is read as usual.
      const gzipped = await postBytes(zlib.gzipSync(json), { 'content-encoding': 'gzip' });
      expect(gzipped.status).toBe(202);
      expect((await api.cluster.result(gzipped.body.id)).run?.stdout).toBe('1\n');
    });

    test('a path parameter that is not valid percent-encoding', async () => {
      const expectBadPath = async (res: request.Response, field: string) => {
        expect(res.status).toBe(400);
        expect(res.body.error).toEqual({
          code: 'invalid_request',
          field,
          message: `${field}: is not valid percent-encoded UTF-8`,
          issues: [{ field, message: 'is not valid percent-encoded UTF-8' }],
        });
      };
      await expectBadPath(await get('/v1/executions/%E0%A4%A'), 'path.id');
      await expectBadPath(await get('/v1/executions/%FF/events'), 'path.id');
      await expectBadPath(await cancel('%E0%A4%A'), 'path.id');
      await expectBadPath(await get('/v1/sandboxes/%C3%28'), 'path.id');
      await expectBadPath(await get(`/v1/sandboxes/sbx_${'0'.repeat(32)}/steps/%E0%A4%A/events`), 'path.stepId');
    });

    test('a bad query parameter', async () => {
      const res = await post({ language: 'python', code: 'x' }, '?wait=maybe');
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe('query.wait');
    });
  });

  test('a client that stops sending its body is logged as its doing, not as a server error', async () => {
    const server = await ApiProcess.start({
      address: api.cluster.address,
      keysFile: api.keys.file,
      env: { AIRLOCK_LOG_LEVEL: 'debug' },
    });
    try {
      // Headers promising 100 bytes, 13 of them, then the connection closes.
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => {
          socket.end(
            'POST /v1/executions HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
              `Authorization: Bearer ${api.key}\r\nContent-Type: application/json\r\n` +
              'Content-Length: 100\r\n\r\n{"language":1',
          );
        });
        socket.on('error', reject).on('close', () => resolve());
        socket.resume();
      });
      const lines = () =>
        server
          .logText()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { level: number; msg: string; path?: string });
      const aborted = await eventually('the aborted request in the log', async () =>
        lines().find((l) => l.msg === 'the client stopped sending its request'),
      );
      expect(aborted).toMatchObject({ level: 20, path: '/v1/executions' });
      expect(lines().filter((l) => l.level >= 40)).toEqual([]);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
