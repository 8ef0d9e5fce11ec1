/**
 * Who calls the E2B surface. The control plane sends the Airlock key as `X-API-KEY`; the sandbox
 * plane sends `X-Access-Token`, which is the same key: create and connect hand the caller's own key
 * back as the `envdAccessToken`. Either way the key's tenant and scopes decide, and a revoked key
 * stops working at once, in the sandbox too. Older SDKs need the key spelt `e2b_<hex>`
 * (lib/e2b-key-spelling.ts); it is taken as the key it spells.
 */
import type { Request, RequestHandler } from 'express';
import type { ApiKeyStore, Principal } from '../../lib/node/api-keys';
import { fromE2bKeySpelling } from '../../lib/e2b-key-spelling';
import { HttpError } from '../errors';

/** The SDK's key header on the control plane. */
export const API_KEY_HEADER = 'x-api-key';
/** The SDK's token header on the sandbox plane. */
export const ACCESS_TOKEN_HEADER = 'x-access-token';

/** The key a request presents, checked; the principal lands where `principalOf` finds it. */
export function requireE2bKey(keys: ApiKeyStore, header: string): RequestHandler {
  return (req, res, next) => {
    const presented = req.get(header);
    if (!presented) throw new HttpError(401, 'unauthenticated', `missing ${header}: an Airlock API key`);
    const principal = keys.verify(fromE2bKeySpelling(presented));
    if (!principal) throw new HttpError(401, 'unauthenticated', 'invalid or revoked API key');
    res.locals.principal = principal;
    res.locals.presentedKey = presented;
    next();
  };
}

/** The key as the caller presented it: what it gets back as the sandbox's access token. */
export function presentedKey(req: Request): string {
  return String((req.res?.locals as { presentedKey?: string } | undefined)?.presentedKey ?? '');
}

export type { Principal };
