import type { Request } from 'express';
import type { z } from 'zod';
import { HttpError } from '../errors';

export function requireJson(req: Request): void {
  if (!req.is('application/json'))
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
}

/** A JSON body against its schema; the error names the field (`files.0.path`). */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  if (prefix === '' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw HttpError.invalid('(body)', 'must be a JSON object');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw HttpError.fromZod(parsed.error, prefix);
  return parsed.data;
}

/** Query parameters against their schema; the error names them as `query.<name>`. */
export function parseQuery<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw HttpError.fromZod(parsed.error, 'query');
  return parsed.data;
}
