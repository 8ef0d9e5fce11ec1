/**
 * A tenant's keys, for its `admin` keys: who may do what (never a key or its hash), and revoking
 * one, say an agent's that leaked. Making keys stays an operator's command (`airlock keys create`).
 */
import { Router } from 'express';
import type { ApiKeyStore } from '../../lib/node/api-keys';
import { principalOf, requireScope } from '../auth';
import { HttpError } from '../errors';

export function keyRoutes(keys: ApiKeyStore): Router {
  const router = Router();
  router.use(requireScope('admin'));

  router.get('/', (req, res) => {
    const { tenant } = principalOf(req);
    const records = new Map(keys.list().map((r) => [r.id, r]));
    res.json({
      keys: keys
        .principals()
        .filter((p) => p.tenant === tenant)
        .map((p) => {
          const record = records.get(p.keyId)!;
          return {
            id: p.keyId,
            label: p.label,
            scopes: p.scopes,
            policies: p.policies,
            createdAt: record.createdAt,
            revokedAt: record.revokedAt,
          };
        }),
    });
  });

  router.post('/:id/revoke', (req, res) => {
    const { tenant, keyId } = principalOf(req);
    const id = String(req.params.id);
    if (!/^[0-9a-f]{16}$/.test(id)) throw HttpError.invalid('path.id', 'must be a key id (16 hex digits)');
    // Another tenant's key is "not found": a tenant learns nothing of other tenants' keys.
    if (!keys.revoke(id, tenant)) throw HttpError.notFound(`key ${id}`);
    res.json({ id, revoked: true, self: id === keyId });
  });

  return router;
}
