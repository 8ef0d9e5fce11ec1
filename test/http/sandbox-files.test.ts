/**
 * Sandbox file uploads store exactly the bytes sent, whatever the content type; a write that fails
 * says why (a full workspace, a read-only or unwritable path, a file where a directory should be)
 * with its own status and code, and leaves the file it would have replaced as it was.
 */
import crypto from 'node:crypto';
import request from 'supertest';
import type { SandboxInfo } from '../../lib/schemas/sandbox';
import { listen, useTestApi } from '../support/api';

const api = useTestApi();
let server: Awaited<ReturnType<typeof listen>>;

const binaryParser = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};
const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

let sbx: SandboxInfo;

/** A written file's summary, or an error. */
interface UploadAnswer {
  path?: string;
  bytes?: number;
  sha256?: string;
  error?: { code: string; field?: string; message: string };
}

beforeAll(async () => {
  server = await listen(api.app);
  const res = await request(api.app).post('/v1/sandboxes').set(api.auth()).send({ language: 'python' });
  expect(res.status).toBe(201);
  sbx = res.body as SandboxInfo;
});

afterAll(async () => {
  if (sbx) await request(api.app).delete(`/v1/sandboxes/${sbx.id}`).set(api.auth());
  await server?.close();
});

/**
 * A PUT of `body` byte for byte, with `contentType` (none at all when null), over a real socket:
 * an HTTP client library would serialise a Buffer it is told is JSON.
 */
async function put(
  path: string,
  body: Buffer,
  contentType: string | null,
): Promise<{ status: number; body: UploadAnswer }> {
  const url = `${server.url}/v1/sandboxes/${sbx.id}/files?path=${encodeURIComponent(path)}`;
  const headers: Record<string, string> = { ...api.auth(), 'content-length': String(body.length) };
  if (contentType !== null) headers['content-type'] = contentType;
  const res = await fetch(url, { method: 'PUT', headers, body: new Uint8Array(body) });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: (await res.json()) as UploadAnswer };
}

const read = (path: string) =>
  request(api.app)
    .get(`/v1/sandboxes/${sbx.id}/files`)
    .query({ path })
    .set(api.auth())
    .buffer(true)
    .parse(binaryParser);

const command = async (cmd: string) => {
  const res = await request(api.app).post(`/v1/sandboxes/${sbx.id}/exec`).set(api.auth()).send({ command: cmd });
  expect(res.status).toBe(200);
  return res.body as { status: string; process: { stdout: string; stderr: string; exitCode: number } };
};

describe('an upload stores exactly the bytes sent', () => {
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x7b, 0x22, 0x0a, 0x80, 0xc3, 0x28, 0xff]);
  const cases: Array<[string, string, Buffer, string | null]> = [
    ['JSON, as application/json', 'cfg.json', Buffer.from('{"debug": true, "level": 3}\n'), 'application/json'],
    ['text that is not JSON, as application/json', 'notes.json', Buffer.from('not { json'), 'application/json'],
    ['JSON with a charset', 'cs.json', Buffer.from('[1, 2]'), 'application/json; charset=utf-8'],
    ['text', 'readme.txt', Buffer.from('plain text\nsecond line\n'), 'text/plain'],
    ['a form body', 'form.txt', Buffer.from('a=1&b=two+words&c=%20'), 'application/x-www-form-urlencoded'],
    ['no content type at all', 'bare.bin', Buffer.from('sent without a type'), null],
    ['binary bytes (NUL, 0xFF, invalid UTF-8)', 'blob.bin', binary, 'application/octet-stream'],
    ['binary bytes labelled as JSON', 'blob.json', binary, 'application/json'],
    ['binary bytes labelled as text', 'blob.txt', binary, 'text/plain; charset=utf-8'],
  ];

  test.each(cases)('%s', async (_name, path, body, contentType) => {
    const res = await put(path, body, contentType);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ path, bytes: body.length, sha256: sha256(body) });
    const back = await read(path);
    expect(back.status).toBe(200);
    expect(Buffer.compare(back.body as Buffer, body)).toBe(0);
  });

  test('an empty body writes an empty file, and says so', async () => {
    const res = await put('empty.txt', Buffer.alloc(0), 'application/json');
    expect(res.body).toEqual({ path: 'empty.txt', bytes: 0, sha256: sha256(Buffer.alloc(0)) });
    expect((await read('empty.txt')).body).toEqual(Buffer.alloc(0));
  });
});

describe('a write that fails says why, and changes nothing', () => {
  beforeAll(async () => {
    const setUp = await command(
      'echo keep > kept.txt && mkdir -p full/sub && touch full/sub/f && mkdir locked && chmod 555 locked ' +
        '&& ln -s /usr/lib system && ln -s loop loop && echo data > plainfile',
    );
    expect(setUp.status).toBe('succeeded');
  });

  const failures: Array<[string, string, number, string]> = [
    ['through a link to the read-only root', 'system/evil.so', 403, 'read_only_path'],
    ['into a directory the sandbox user cannot write', 'locked/new.txt', 403, 'permission_denied'],
    ['under a regular file', 'plainfile/child.txt', 400, 'not_a_directory'],
    ['onto a directory that is not empty', 'full', 409, 'is_a_directory'],
    ['through a loop of links', 'loop/x.txt', 400, 'symlink_loop'],
  ];

  test.each(failures)('%s (%s): %i %s', async (_name, path, status, code) => {
    const res = await put(path, Buffer.from('content'), 'application/octet-stream');
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, field: 'query.path' });
    expect(res.body.error?.message).toContain(path);
  });

  test('a full workspace answers 507 workspace_full; the file it would replace stays whole; space freed, it works', async () => {
    // The default policy's 256 MiB gives a 64 MiB workspace; fill it to the last byte.
    const fill = await command(
      'for i in 1 2 3; do head -c 40M /dev/zero > fill$i 2>/dev/null; done; df -k . | tail -1',
    );
    expect(fill.process.stdout).toMatch(/\s100%\s/);

    const res = await put('kept.txt', crypto.randomBytes(256 * 1024), 'application/octet-stream');
    expect(res.status).toBe(507);
    expect(res.body.error).toMatchObject({ code: 'workspace_full', field: 'query.path' });
    expect(res.body.error?.message).toMatch(/kept\.txt does not fit: the workspace is full/);
    expect((await read('kept.txt')).body.toString()).toBe('keep\n');
    // No half-written file, and no staging folder left behind.
    const left = await command('ls -A .airlock/tmp; ls kept.txt*');
    expect(left.process.stdout).toBe('kept.txt\n');

    await command('rm -f fill1 fill2 fill3');
    const again = await put('kept.txt', Buffer.from('replaced\n'), 'text/plain');
    expect(again.status).toBe(200);
    expect((await read('kept.txt')).body.toString()).toBe('replaced\n');
  });
});
