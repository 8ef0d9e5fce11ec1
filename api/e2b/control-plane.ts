/**
 * E2B's control plane (`POST /sandboxes`, `GET /v2/sandboxes`, ...) over Airlock sandboxes: the same
 * workflows, admission, policies and leases as `/v1/sandboxes`. Errors go out as E2B's SDKs read
 * them: `{code, message}` with the same HTTP status.
 */
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { type SandboxInfo, SandboxMetadata } from '../../lib/schemas/sandbox';
import type { ApiKeyStore } from '../../lib/node/api-keys';
import type { Logger } from '../../lib/node/logger';
import { principalOf, requireScope } from '../auth';
import { HttpError } from '../errors';
import { SandboxAdmission, type SandboxAdmissionDeps } from '../sandbox-admission';
import { parseBody } from '../routes/parse';
import { API_KEY_HEADER, presentedKey, requireE2bKey } from './auth';
import { sandboxDetail, sandboxShape, templateToRequest, type E2bShapeDeps } from './shapes';

export interface E2bControlDeps extends SandboxAdmissionDeps, E2bShapeDeps {
  keys: ApiKeyStore;
  log: Logger;
  /** The API's own rate limiter: one bucket per key across both surfaces. */
  rateLimiter: RequestHandler;
}

/** E2B's own default (5 minutes), in seconds. */
const DEFAULT_TIMEOUT_SECONDS = 300;
/** The most `/v2/sandboxes` returns per page. */
const MAX_PAGE = 100;

const Seconds = z.number().int().min(0).max(86_400);
// The SDKs send fields Airlock has no use for (network rules, MCP, volume mounts): ignored, not refused.
const NewSandbox = z.looseObject({
  templateID: z.string().max(200).default('base'),
  timeout: Seconds.optional(),
  metadata: SandboxMetadata.nullish(),
  envVars: z.record(z.string(), z.string()).nullish(),
  autoPause: z.boolean().nullish(),
});
const TimeoutBody = z.looseObject({ timeout: Seconds });
// Python's connect may send no timeout: the sandbox's stands.
const ConnectBody = z.looseObject({ timeout: Seconds.optional() });
const ListQuery = z.looseObject({
  metadata: z.string().max(8192).optional(),
  state: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
  nextToken: z.string().max(4096).optional(),
});

/** E2B's timeout runs from now; Airlock's idle timeout does the same, and a step in flight renews it. */
function idleSeconds(timeout: number | undefined): number {
  return Math.min(3600, Math.max(10, timeout ?? DEFAULT_TIMEOUT_SECONDS));
}

export function e2bControlPlane(deps: E2bControlDeps): Router {
  const { sandboxes } = deps;
  const admission = new SandboxAdmission(deps);
  const router = Router();
  // On each route, not the router: other paths fall through to the API's own 404.
  const guard = [
    requireE2bKey(deps.keys, API_KEY_HEADER),
    deps.rateLimiter,
    requireScope('submit'),
    express.json({ limit: '256kb' }),
  ];
  const tenantOf = (req: Request) => principalOf(req).tenant;

  /** The tenant's running sandbox, or E2B's 404 (an ended one is gone, as in E2B). */
  async function running(req: Request): Promise<SandboxInfo> {
    const info = await sandboxes.get(String(req.params.id), tenantOf(req));
    if (!info || info.end !== null) throw HttpError.notFound(`sandbox ${req.params.id}`);
    return info;
  }

  // Today's SDKs create at /v2/sandboxes; those before 2.x at /sandboxes.
  router.post(['/v2/sandboxes', '/sandboxes'], ...guard, async (req, res) => {
    const body = parseBody(NewSandbox, req.body ?? {});
    if (body.autoPause) throw new HttpError(400, 'unsupported', 'autoPause: Airlock sandboxes cannot be paused');
    const principal = principalOf(req);
    const target = await templateToRequest(deps, body.templateID, principal.tenant);
    const idle = idleSeconds(body.timeout);
    const created = await admission.create({
      body: {
        ...target,
        idleTimeoutSeconds: idle,
        maxLifetimeSeconds: 3600,
        ...(body.envVars && Object.keys(body.envVars).length > 0 ? { env: body.envVars } : {}),
        ...(body.metadata && Object.keys(body.metadata).length > 0 ? { metadata: body.metadata } : {}),
      },
      principal,
      idempotencyKey: undefined,
      idempotency: undefined,
    });
    if (created === 'conflict') throw new Error('a create without an idempotency key conflicted');
    if (created.end !== null) {
      throw new HttpError(400, 'sandbox_rejected', `the sandbox did not start: ${created.end.message}`);
    }
    res.status(201).json(sandboxShape(created, presentedKey(req)));
  });

  router.get('/v2/sandboxes', ...guard, async (req, res) => {
    const query = parseBody(ListQuery, req.query, 'query.');
    const states = new Set((query.state ?? 'running,paused').split(',').map((s) => s.trim()));
    const wanted = metadataFilter(query.metadata);
    const limit = query.limit ?? MAX_PAGE;
    // Only running sandboxes can match: Airlock has no paused ones.
    if (!states.has('running')) {
      res.json([]);
      return;
    }
    const page = await sandboxes.list(tenantOf(req), 'active', limit, query.nextToken);
    const infos = await Promise.all(page.sandboxes.map((s) => sandboxes.get(s.id, tenantOf(req))));
    const listed = infos
      .filter((i): i is SandboxInfo => i !== null && i.end === null)
      .filter((i) => Object.entries(wanted).every(([k, v]) => i.metadata?.[k] === v))
      .map((i) => sandboxDetail(deps, i));
    if (page.nextPageToken) res.set('X-Next-Token', page.nextPageToken);
    res.json(listed);
  });

  router.get('/sandboxes/:id', ...guard, async (req, res) => {
    res.json({ ...sandboxDetail(deps, await running(req)), allowInternetAccess: false, domain: null });
  });

  router.post(['/v2/sandboxes/:id/connect', '/sandboxes/:id/connect'], ...guard, async (req, res) => {
    const { timeout } = parseBody(ConnectBody, req.body ?? {});
    const current = await running(req);
    const info =
      timeout === undefined
        ? current
        : await sandboxes.setIdleTimeout(String(req.params.id), tenantOf(req), idleSeconds(timeout));
    res.status(200).json(sandboxShape(info, presentedKey(req)));
  });

  router.post('/sandboxes/:id/timeout', ...guard, async (req, res) => {
    const { timeout } = parseBody(TimeoutBody, req.body ?? {});
    await running(req);
    const seconds = Math.max(10, timeout);
    await sandboxes.setIdleTimeout(String(req.params.id), tenantOf(req), seconds);
    res.status(204).end();
  });

  router.delete('/sandboxes/:id', ...guard, async (req, res) => {
    await running(req);
    await sandboxes.close(String(req.params.id), tenantOf(req));
    res.status(204).end();
  });

  // What Airlock does not do: a clear answer the SDK raises, rather than a silent no-op.
  const unsupported: Array<[string, string, string]> = [
    ['post', '/sandboxes/:id/pause', 'Airlock sandboxes cannot be paused or resumed'],
    ['post', '/sandboxes/:id/resume', 'Airlock sandboxes cannot be paused or resumed'],
    ['post', '/sandboxes/:id/snapshots', 'Airlock sandboxes have no snapshots'],
    ['get', '/snapshots', 'Airlock sandboxes have no snapshots'],
    ['post', '/sandboxes/:id/fork', 'Airlock sandboxes cannot be forked'],
    ['put', '/sandboxes/:id/network', 'Airlock sandboxes have no network to configure'],
    ['get', '/sandboxes/:id/metrics', 'sandbox metrics are not served on the E2B surface yet'],
    ['get', '/sandboxes/:id/logs', 'sandbox logs are served as step events at /v1/sandboxes/{id}/steps'],
  ];
  for (const [method, path, message] of unsupported) {
    router[method as 'get' | 'post' | 'put'](path, ...guard, () => {
      throw new HttpError(501, 'unsupported', message);
    });
  }
  router.use(['/templates', '/v2/templates', '/v3/templates'], ...guard, () => {
    throw new HttpError(501, 'unsupported', 'build templates with POST /v1/templates (docs/runtimes.md)');
  });
  router.use(e2bErrors(deps.log));
  return router;
}

/** E2B's list filter: `k=v&k2=v2`, each part URL-encoded. */
function metadataFilter(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  return Object.fromEntries(new URLSearchParams(raw).entries());
}

/** `{code, message}` with the same status, which both SDKs read; 5xx are logged. */
export function e2bErrors(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const status = err instanceof HttpError ? err.status : ((err as { status?: number }).status ?? 500);
    const known = status >= 400 && status < 600 ? status : 500;
    if (known >= 500 && known !== 501) log.error({ err, path: req.path }, 'E2B request failed');
    const message = err instanceof Error && known !== 500 ? err.message : 'internal error';
    res.status(known).json({ code: known, message });
  };
}
