/**
 * API keys and tenants over HTTP, on a real cluster.
 */
import fs from 'node:fs';
import request from 'supertest';
import { BODY_LIMIT_BYTES } from '../../api/body';
import { TENANT } from '../../lib/search-attributes';
import { useTestApi } from '../support/api';

const api = useTestApi();
const { get } = api;
const post = (body: object) => api.post('/v1/executions', body);
const cancel = (id: string, key?: string) => api.post(`/v1/executions/${id}/cancel`, undefined, key);

describe('API keys and tenants', () => {
  test('every route but /healthz needs a key: missing or invalid credentials are 401', async () => {
    expect((await request(api.app).get('/healthz')).status).toBe(200);
    for (const [method, path] of [
      ['get', '/v1/runtimes'],
      ['get', `/v1/executions/ex_${'0'.repeat(32)}`],
      ['post', '/v1/executions'],
      ['post', `/v1/executions/ex_${'0'.repeat(32)}/cancel`],
    ] as const) {
      const missing = await request(api.app)[method](path);
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="airlock"');
      expect(missing.body.error).toEqual({
        code: 'unauthenticated',
        message: 'missing Authorization: Bearer <API key>',
      });
      for (const header of ['Bearer ak_0000000000000000_' + 'x'.repeat(43), 'Bearer nonsense', `Basic ${api.key}`]) {
        const invalid = await request(api.app)[method](path).set('authorization', header);
        expect(invalid.status).toBe(401);
        expect(invalid.body.error.message).toBe('invalid or revoked API key');
      }
    }
  });

  test('the key is checked before the body is read: a bad body without a valid key is 401', async () => {
    const bodies: Array<[string, string | Buffer, Record<string, string>]> = [
      ['malformed JSON', '{"language":', {}],
      ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), {}],
      ['a body over the limit', `{"code":"${'x'.repeat(BODY_LIMIT_BYTES)}"}`, {}],
      ['a body not gzip', '{}', { 'content-encoding': 'gzip' }],
      ['an unknown encoding', '{}', { 'content-encoding': 'compress' }],
    ];
    for (const [what, body, headers] of bodies) {
      for (const authorization of [undefined, 'Bearer nonsense']) {
        const call = request(api.app)
          .post('/v1/executions')
          .set({ 'content-type': 'application/json', ...headers });
        if (authorization) call.set('authorization', authorization);
        const res = await call.serialize((b: string | Buffer) => b as string).send(body as string);
        expect([what, authorization, res.status, res.body.error?.code]).toEqual([
          what,
          authorization,
          401,
          'unauthenticated',
        ]);
      }
    }
  });

  test("the API's port serves no metrics: they are on a listener of their own", async () => {
    for (const key of [undefined, api.key]) {
      const call = request(api.app).get('/metrics');
      if (key) call.set('authorization', `Bearer ${key}`);
      const res = await call;
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('airlock_task_queue_backlog');
    }
  });

  test('a revoked key stops working on the running API', async () => {
    const { key, record } = api.keys.create('default', 'short-lived');
    expect((await get('/v1/runtimes', key)).status).toBe(200);
    api.keys.revoke(record.id);
    expect((await get('/v1/runtimes', key)).status).toBe(401);
  });

  test('keys are stored only as hashes, in an owner-only file', () => {
    const text = fs.readFileSync(api.keys.file, 'utf8');
    expect(text).not.toContain(api.key);
    // The secret is base64url, so it may itself contain '_': take everything after the id.
    const secret = api.key.slice('ak_'.length + 16 + 1);
    expect(secret).toHaveLength(43);
    expect(text).not.toContain(secret);
    expect(fs.statSync(api.keys.file).mode & 0o777).toBe(0o600);
  });

  test("a tenant sees and cancels only its own executions; another tenant's answers 404", async () => {
    const res = await post({
      language: 'python',
      code: 'import time\ntime.sleep(20)',
      limits: { timeoutMs: 30_000 },
    });
    expect(res.status).toBe(202);
    expect((await get(`/v1/executions/${res.body.id}`, api.otherTenantKey)).status).toBe(404);
    expect((await cancel(res.body.id, api.otherTenantKey)).status).toBe(404);
    expect((await get(`/v1/executions/${res.body.id}`)).body.tenant).toBe('default');
    const handle = api.cluster.client.workflow.getHandle(res.body.id);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(TENANT)).toBe('default');
    expect((await cancel(res.body.id)).status).toBe(202);
    await handle.result();
  });
});
