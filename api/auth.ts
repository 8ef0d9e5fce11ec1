import type { Request, RequestHandler } from 'express';
import type { ApiKeyStore, Principal, Scope } from '../lib/node/api-keys';
import { HttpError } from './errors';

/** Every route behind it needs `Authorization: Bearer <key>`; the key's tenant is the caller. */
export function requireApiKey(keys: ApiKeyStore): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    if (!header) {
      res.set('WWW-Authenticate', 'Bearer realm="airlock"');
      throw new HttpError(401, 'unauthenticated', 'missing Authorization: Bearer <API key>');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = match ? keys.verify(match[1]!) : null;
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer realm="airlock", error="invalid_token"');
      throw new HttpError(401, 'unauthenticated', 'invalid or revoked API key');
    }
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(req: Request): Principal {
  const principal = (req.res?.locals as { principal?: Principal } | undefined)?.principal;
  if (!principal) throw new HttpError(401, 'unauthenticated', 'not authenticated');
  return principal;
}

/** The route needs one of `scopes` (docs/api.md lists each route's). */
export function requireScope(...scopes: Scope[]): RequestHandler {
  return (req, _res, next) => {
    const principal = principalOf(req);
    if (!scopes.some((s) => principal.scopes.includes(s))) {
      throw new HttpError(
        403,
        'forbidden',
        `this key (${principal.keyId}) has scope ${principal.scopes.join(', ')}; this call needs ${scopes.join(' or ')}`,
      );
    }
    next();
  };
}
