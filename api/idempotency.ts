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

export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
