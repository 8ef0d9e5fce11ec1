import type { Request } from 'express';
import { z } from 'zod';
import type { RuntimeCatalog, RuntimeDefinition } from '../../lib/node/runtimes';
import type { LoadedPolicy } from '../../lib/node/policies';
import type { Principal } from '../../lib/node/api-keys';
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

/**
 * The policy a request runs under: the one it names, if its key may name it, else the key's default.
 * A policy outside the key's (or its tenant's) allowed set is a 403 naming `policy`, whether or not
 * it exists: the caller learns what it may use, not what others may.
 */
export function choosePolicy(principal: Principal, requested: string | undefined, at = (f: string) => f): string {
  const { allowed, default: fallback } = principal.policies;
  if (requested === undefined) return fallback;
  if (allowed !== null && !allowed.includes(requested)) {
    const message = `"${requested}" is not allowed for this key; allowed: ${allowed.join(', ')} (default ${fallback})`;
    throw new HttpError(403, 'policy_not_allowed', `${at('policy')}: ${message}`, [{ field: at('policy'), message }]);
  }
  return requested;
}

/** The runtime and policy a request names, or a 400 naming the field and what is available. */
export function resolveRuntimeAndPolicy(
  runtimes: RuntimeCatalog,
  policies: Map<string, LoadedPolicy>,
  body: { language: string; version?: string | undefined; policy: string },
  at: (field: string) => string = (f) => f,
): { runtime: RuntimeDefinition; policy: LoadedPolicy; policyName: string } {
  const runtime = resolveRuntime(runtimes, body, at);
  const policy = policies.get(body.policy);
  if (!policy) {
    throw HttpError.invalid(
      at('policy'),
      `unknown policy "${body.policy}"; available: ${[...policies.keys()].join(', ')}`,
    );
  }
  return { runtime, policy, policyName: body.policy };
}

/** The language at the version asked for (its newest when none is), or a 400 naming the field and the choices. */
export function resolveRuntime(
  runtimes: RuntimeCatalog,
  { language, version }: { language: string; version?: string | undefined },
  at: (field: string) => string = (f) => f,
): RuntimeDefinition {
  const versions = runtimes.versions(language);
  if (versions.length === 0) {
    throw HttpError.invalid(
      at('language'),
      `unknown runtime "${language}"; available: ${runtimes.languages().join(', ')}`,
    );
  }
  const runtime = runtimes.get(language, version);
  if (!runtime) {
    const available = versions.map((v) => v.manifest.version).join(', ');
    throw HttpError.invalid(at('version'), `${language} has no version "${version}"; available: ${available}`);
  }
  return runtime;
}
