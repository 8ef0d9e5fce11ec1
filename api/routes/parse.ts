import type { Request } from 'express';
import { z } from 'zod';
import type { RuntimeDefinition } from '../../lib/runtimes';
import { DEFAULT_POLICY, type LoadedPolicy } from '../../lib/policies';
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

/** A listing's `pageToken`: the server's own, base64url. */
export const PageToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .max(4096);

/** The runtime and policy a request names, or a 400 naming the field and what is available. */
export function resolveRuntimeAndPolicy(
  runtimes: Map<string, RuntimeDefinition>,
  policies: Map<string, LoadedPolicy>,
  body: { language: string; policy?: string | undefined },
  at: (field: string) => string = (f) => f,
): { runtime: RuntimeDefinition; policy: LoadedPolicy; policyName: string } {
  const runtime = runtimes.get(body.language);
  if (!runtime) {
    throw HttpError.invalid(
      at('language'),
      `unknown runtime "${body.language}"; available: ${[...runtimes.keys()].join(', ')}`,
    );
  }
  const policyName = body.policy ?? DEFAULT_POLICY;
  const policy = policies.get(policyName);
  if (!policy) {
    throw HttpError.invalid(
      at('policy'),
      `unknown policy "${body.policy}"; available: ${[...policies.keys()].join(', ')}`,
    );
  }
  return { runtime, policy, policyName };
}
