/**
 * Keys as an adversarial caller would use them: a key bound to a policy cannot downgrade to a
 * laxer one (executions, batches, sandboxes), the tenant's binding holds for keys without their own,
 * and only an admin key may list or revoke its tenant's keys.
 */
import request from 'supertest';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { useTestApi } from '../support/api';

const api = useTestApi();

describe('policy binding', () => {
  let bound: string;

  beforeAll(() => {
    // Meant to run everything under ci-gate; strict is allowed when asked for.
    bound = api.keys.create('default', 'ci bot', { policies: ['ci-gate', 'strict'], defaultPolicy: 'ci-gate' }).key;
  });

  test('a request that names no policy runs under the key’s default', async () => {
    const res = await api.post('/v1/executions?wait=true', { language: 'python', code: 'print(1)' }, bound);
    expect(res.status).toBe(200);
    expect((res.body as ExecutionResult).policy?.name).toBe('ci-gate');
  });

  test('naming a policy outside the key’s set is 403 naming `policy`, whether or not it exists', async () => {
    for (const policy of ['default', 'no-such-policy']) {
      const res = await api.post('/v1/executions', { language: 'python', policy, code: 'print(1)' }, bound);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'policy_not_allowed', field: 'policy' });
      expect(res.body.error.message).toBe(
        `policy: "${policy}" is not allowed for this key; allowed: ci-gate, strict (default ci-gate)`,
      );
    }
    const allowed = await api.post('/v1/executions', { language: 'python', policy: 'strict', code: 'print(1)' }, bound);
    expect(allowed.status).toBe(202);
  });

  test('a batch with one downgraded item starts none, and names the item', async () => {
    const body = {
      executions: [
        { language: 'python', code: 'print(1)' },
        { language: 'python', policy: 'default', code: 'print(2)' },
      ],
    };
    const res = await api.post('/v1/executions/batch', body, bound);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'policy_not_allowed', field: 'executions.1.policy' });
  });

  test('sandboxes obey it too', async () => {
    const refused = await api.post('/v1/sandboxes', { language: 'python', policy: 'default' }, bound);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'policy_not_allowed', field: 'policy' });
    const created = await api.post('/v1/sandboxes', { language: 'python' }, bound);
    expect(created.status).toBe(201);
    expect(created.body.policy).toBe('ci-gate');
    expect((await request(api.app).delete(`/v1/sandboxes/${created.body.id}`).set(api.auth(bound))).status).toBe(200);
  });

  test('a tenant’s binding holds for its keys without one of their own; a key’s own binding wins', async () => {
    api.keys.bindTenant('locked-down', { policies: ['strict'], defaultPolicy: 'strict' });
    const plain = api.keys.create('locked-down', 'agent').key;
    const own = api.keys.create('locked-down', 'ci', { policies: ['ci-gate'] }).key;
    const asPlain = await api.post('/v1/executions?wait=true', { language: 'python', code: 'print(1)' }, plain);
    expect((asPlain.body as ExecutionResult).policy?.name).toBe('strict');
    const downgrade = await api.post('/v1/executions', { language: 'python', policy: 'default', code: '1' }, plain);
    expect(downgrade.status).toBe(403);
    const asOwn = await api.post('/v1/executions?wait=true', { language: 'python', code: 'print(1)' }, own);
    expect((asOwn.body as ExecutionResult).policy?.name).toBe('ci-gate');
  });

  test('an unbound key may name any policy, and gets "default" when it names none', async () => {
    const res = await api.post('/v1/executions?wait=true', { language: 'python', code: 'print(1)' });
    expect((res.body as ExecutionResult).policy?.name).toBe('default');
    const unknown = await api.post('/v1/executions', { language: 'python', policy: 'no-such-policy', code: '1' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.field).toBe('policy');
  });
});

describe('admin keys', () => {
  test('list the tenant’s keys with their powers, never a key or its hash, and no other tenant’s', async () => {
    const res = await api.get('/v1/keys', api.adminKey);
    expect(res.status).toBe(200);
    const ids = (res.body.keys as Array<{ id: string }>).map((k) => k.id);
    expect(ids).toContain(api.key.split('_')[1]);
    expect(ids).not.toContain(api.otherTenantKey.split('_')[1]);
    expect(res.body.keys).toContainEqual(
      expect.objectContaining({
        id: api.reviewerKey.split('_')[1],
        label: 'alice',
        scopes: ['approve'],
        policies: { allowed: null, default: 'default', from: 'none' },
        revokedAt: null,
      }),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/sha256|ak_/);
  });

  test('revoke one of the tenant’s keys; another tenant’s is not found; only admin keys may', async () => {
    const leaked = api.keys.create('default', 'leaked agent').key;
    const id = leaked.split('_')[1]!;
    expect((await api.post(`/v1/keys/${id}/revoke`, {}, api.key)).status).toBe(403);
    expect((await api.get('/v1/keys', api.reviewerKey)).status).toBe(403);
    const other = api.otherTenantKey.split('_')[1]!;
    expect((await api.post(`/v1/keys/${other}/revoke`, {}, api.adminKey)).status).toBe(404);
    const revoked = await api.post(`/v1/keys/${id}/revoke`, {}, api.adminKey);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ id, revoked: true, self: false });
    expect((await api.get('/v1/runtimes', leaked)).status).toBe(401);
    expect((await api.get('/v1/runtimes', api.otherTenantKey)).status).toBe(200);
  });
});
