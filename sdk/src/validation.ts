import type { z } from 'zod';
import { fieldIssues } from '../../lib/schemas/issues';
import { IdempotencyKey } from '../../lib/schemas/sandbox';
import { AirlockError, AirlockValidationError } from './errors';
import { newIdempotencyKey } from './http';

/**
 * Checks a request against the same zod schema the server uses, so a bad field fails here, before
 * anything is sent, with the error the server would give (status 400, `invalid_request`, `field`,
 * `issues`). Returns the value as given: the server applies the defaults.
 */
export function validate<T>(schema: z.ZodType, value: T, prefix = ''): T {
  if (prefix === '' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw invalid('(body)', 'must be an object');
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return value;
  const issues = fieldIssues(parsed.error, prefix);
  const first = issues[0] ?? { field: '(body)', message: 'is invalid' };
  throw new AirlockValidationError({
    status: 400,
    code: 'invalid_request',
    message: `${first.field}: ${first.message}`,
    issues,
  });
}

export function invalid(field: string, message: string): AirlockValidationError {
  return new AirlockValidationError({
    status: 400,
    code: 'invalid_request',
    message: `${field}: ${message}`,
    issues: [{ field, message }],
  });
}

/** The caller's idempotency key, checked, or a new one. */
export function idempotencyKey(given: string | undefined): string {
  if (given === undefined) return newIdempotencyKey();
  validate(IdempotencyKey, given, 'idempotencyKey');
  return given;
}

/** A response body the SDK can use: an object, with a string `key` when one is named. */
export function expectObject<T>(data: unknown, what: string, key?: string): T {
  const ok =
    typeof data === 'object' &&
    data !== null &&
    (key === undefined || typeof (data as Record<string, unknown>)[key] === 'string');
  if (!ok) {
    throw new AirlockError({
      status: 0,
      code: 'invalid_response',
      message: `unexpected answer for ${what}: ${JSON.stringify(data)?.slice(0, 200)}`,
    });
  }
  return data as T;
}
