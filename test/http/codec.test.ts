/**
 * The codec endpoint the Temporal UI and CLI decrypt through: the real `temporal workflow show
 * --codec-endpoint` reads an encrypted execution in the clear with a `codec` key, while a tenant's
 * own admin key, or none, is refused; bad payloads name the field; a browser's preflight passes
 * only from an allowed origin.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestCluster } from '../support/cluster';
import { createTestApi, listen, type TestApi } from '../support/api';
import { readTestEnv } from '../support/test-env';
import { resolveTemporalCli } from '../support/temporal-cli';

const run = promisify(execFile);
const UI = 'http://localhost:8233';
let cluster: TestCluster;
let api: TestApi;
let server: Awaited<ReturnType<typeof listen>>;
let codecKey: string;

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster, { codecCorsOrigins: [UI] });
  codecKey = api.keys.create('operators', 'temporal-ui', { scopes: ['codec'] }).key;
  server = await listen(api.app);
});
afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');
const jsonPayload = (value: unknown) => {
  const p = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data ?? new Uint8Array()),
  };
};
/** Each payload's data in `temporal workflow show -o json` output, as text. */
const dataOf = (json: string) =>
  [...json.matchAll(/"data":\s*"([A-Za-z0-9+/=]*)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString());
const post = (path: string, key: string | undefined, body: unknown) => {
  const req = request(api.app).post(`/v1/codec${path}`);
  return (key ? req.set('authorization', `Bearer ${key}`) : req).send(body as object);
};

test('the Temporal CLI shows an encrypted execution in the clear through the endpoint, with a codec key', async () => {
  const mark = `codec-probe-${Date.now()}`;
  const result = await cluster.run({ language: 'python', code: `print("${mark}")` });
  expect(result.status).toBe('succeeded');
  const cli = resolveTemporalCli();
  if (!cli) throw new Error('the temporal CLI is not installed: run scripts/up.sh once');
  const show = (auth?: string) =>
    run(cli, [
      'workflow',
      'show',
      '--address',
      readTestEnv().server.address,
      '-w',
      result.id,
      '-o',
      'json',
      ...(auth ? ['--codec-endpoint', `${server.url}/v1/codec`, '--codec-auth', `Bearer ${auth}`] : []),
    ]);
  const raw = (await show()).stdout;
  expect(raw).toContain('YmluYXJ5L2VuY3J5cHRlZA=='); // "binary/encrypted"
  expect(dataOf(raw).some((v) => v.includes(mark))).toBe(false);
  const decoded = (await show(codecKey)).stdout;
  expect(decoded).not.toContain('YmluYXJ5L2VuY3J5cHRlZA==');
  const values = dataOf(decoded);
  expect(values.some((v) => v.includes(`print(\\"${mark}\\")`))).toBe(true);
  expect(values.some((v) => v.includes(`${mark}\\n`))).toBe(true);
}, 60_000);

test('encode then decode gives back the same payloads; plain ones decode unchanged', async () => {
  const payloads = [jsonPayload({ code: 'x' }), jsonPayload('y')];
  const encoded = await post('/encode', codecKey, { payloads }).expect(200);
  const sealed = encoded.body.payloads as Array<{ metadata: Record<string, string> }>;
  expect(sealed.map((p) => Buffer.from(p.metadata.encoding!, 'base64').toString())).toEqual([
    'binary/encrypted',
    'binary/encrypted',
  ]);
  const decoded = await post('/decode', codecKey, { payloads: [...sealed, jsonPayload('plain')] }).expect(200);
  expect(decoded.body).toEqual({ payloads: [...payloads, jsonPayload('plain')] });
});

test('only a codec key may call it: a tenant admin is refused, and so is no key', async () => {
  const body = { payloads: [jsonPayload('x')] };
  const admin = await post('/decode', api.adminKey, body).expect(403);
  expect(admin.body.error.message).toContain('this call needs codec');
  await post('/decode', api.key, body).expect(403);
  await post('/decode', undefined, body).expect(401);
});

test('bad input is a 400 naming the field: not base64, another namespace, a payload that does not decrypt', async () => {
  const notBase64 = await post('/decode', codecKey, { payloads: [{ data: 'not base64!' }] }).expect(400);
  expect(notBase64.body.error.issues[0].field).toBe('body.payloads.0.data');
  const other = await request(api.app)
    .post('/v1/codec/decode')
    .set({ authorization: `Bearer ${codecKey}`, 'x-namespace': 'elsewhere' })
    .send({ payloads: [] })
    .expect(400);
  expect(other.body.error.issues[0].field).toBe('header.X-Namespace');
  const [sealed] = (await post('/encode', codecKey, { payloads: [jsonPayload('x')] }).expect(200)).body.payloads;
  const data = Buffer.from(sealed.data, 'base64');
  data[data.length - 1] = data[data.length - 1]! ^ 1;
  const altered = await post('/decode', codecKey, {
    payloads: [jsonPayload('fine'), { ...sealed, data: data.toString('base64') }],
  }).expect(400);
  expect(altered.body.error).toMatchObject({ code: 'undecodable' });
  expect(altered.body.error.message).toMatch(/^body\.payloads\.1: payload under key [0-9a-f]{16} does not decrypt/);
  await post('/decode', codecKey, { payloads: 'x' }).expect(400);
});

test("a browser's preflight passes from the UI's origin only, and needs no key", async () => {
  const preflight = (origin: string) =>
    request(api.app).options('/v1/codec/decode').set({
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-namespace',
    });
  const allowed = await preflight(UI).expect(204);
  expect(allowed.headers['access-control-allow-origin']).toBe(UI);
  expect(allowed.headers['access-control-allow-headers']).toContain('X-Namespace');
  const elsewhere = await preflight('https://evil.example');
  expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
});
