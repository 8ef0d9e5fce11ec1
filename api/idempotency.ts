import crypto from 'node:crypto';
import type { Request } from 'express';
import { IdempotencyKey } from '../lib/schemas/sandbox';
import { HttpError } from './errors';

/** The `Idempotency-Key` header, validated; undefined when the client sent none. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  const parsed = IdempotencyKey.safeParse(key);
  if (!parsed.success) throw HttpError.invalid('header.Idempotency-Key', parsed.error.issues[0]!.message);
  return parsed.data;
}

/** A request whose body hashes to this: an Idempotency-Key reused with another body is refused. */
export interface Idempotency {
  requestSha256: string;
}

/** A request's idempotency, when it has a key: the key's request is `body` as sent (a batch item's own). */
export function idempotencyOf(body: unknown, key: string | undefined): Idempotency | undefined {
  return key === undefined ? undefined : { requestSha256: sha256(JSON.stringify(body)) };
}

/** Whether a workflow that an idempotency key found was started by the same request: its memo says. */
export function sameRequest(memo: Record<string, unknown> | undefined, idempotency: Idempotency): boolean {
  return memo?.requestSha256 === idempotency.requestSha256;
}

/** The answer to a key already used for a different request, whatever the resource. */
export function idempotencyConflict(): HttpError {
  const message = 'was already used for a different request';
  return new HttpError(409, 'idempotency_key_reused', `header.Idempotency-Key: ${message}`, [
    { field: 'header.Idempotency-Key', message },
  ]);
}

export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
