import { Router, type Request } from 'express';
import { z } from 'zod';
import type { RuntimeCatalog } from '../../lib/node/runtimes';
import type { OutputStore } from '../../lib/node/output-store';
import { TemplateSpec } from '../../lib/schemas/template';
import { HttpError } from '../errors';
import { jsonBody } from '../body';
import { principalOf, requireScope } from '../auth';
import { streamEvents } from '../sse';
import { resolvedSpec, type TemplateService } from '../template-service';
import { PageToken, parseBody, parseQuery, requireJson, resolveRuntime } from './parse';
import { serveStored } from './outputs';

export interface TemplateRoutesDeps {
  templates: TemplateService;
  runtimes: RuntimeCatalog;
  /** Where the hosts keep build logs. */
  logs: OutputStore;
}

/** A spec with its files: more than an execution's body, less than a sandbox file's. */
const TEMPLATE_BODY_LIMIT = 16 * 1024 * 1024;

export const TemplateListQuery = z.strictObject({
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  pageToken: PageToken.optional(),
});

export function templateRoutes({ templates, runtimes, logs }: TemplateRoutesDeps): Router {
  const router = Router();
  // A template is code that runs in every sandbox made from it.
  router.use(requireScope('submit'));
  const tenantOf = (req: Request): string => principalOf(req).tenant;
  const found = async (req: Request) => {
    const info = await templates.get(String(req.params.id), tenantOf(req));
    if (!info || info.status === 'deleted') throw HttpError.notFound(`template ${req.params.id}`);
    return info;
  };
  router.use(jsonBody(TEMPLATE_BODY_LIMIT));

  router.post('/', async (req, res) => {
    requireJson(req);
    const spec = parseBody(TemplateSpec, req.body);
    const runtime = resolveRuntime(runtimes, spec.runtime, (f) => `runtime.${f}`);
    if (spec.pip.length > 0 && runtime.manifest.name !== 'python') {
      throw HttpError.invalid('pip', `PyPI packages need a python runtime, not ${runtime.manifest.name}`);
    }
    const { info, started } = await templates.create(tenantOf(req), resolvedSpec(spec, runtime), runtime);
    res
      .location(`/v1/templates/${info.id}`)
      .status(started ? 202 : 200)
      .json(info);
  });

  router.get('/', async (req, res) => {
    const { pageSize, pageToken } = parseQuery(TemplateListQuery, req.query);
    res.json(await templates.list(tenantOf(req), pageSize, pageToken));
  });

  router.get('/:id', async (req, res) => {
    res.json(await found(req));
  });

  router.get('/:id/events', async (req, res) => {
    await found(req);
    await streamEvents(req, res, templates.events(String(req.params.id), tenantOf(req)));
  });

  router.get('/:id/log', async (req, res) => {
    const info = await found(req);
    if (!info.log) throw new HttpError(404, 'not_found', `template ${info.id} has no log yet (${info.status})`);
    const stored = await logs.open(info.log.sha256);
    if (!stored) throw new HttpError(410, 'gone', `the log of template ${info.id} is no longer stored`);
    await serveStored(req, res, stored, { sha256: info.log.sha256, 'content-type': 'text/plain; charset=utf-8' });
  });

  router.delete('/:id', async (req, res) => {
    const deleted = await templates.delete(String(req.params.id), tenantOf(req));
    if (!deleted) throw HttpError.notFound(`template ${req.params.id}`);
    res.json(deleted);
  });

  return router;
}
