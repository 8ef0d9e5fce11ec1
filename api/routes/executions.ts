import { Router, type Request } from 'express';
import { z } from 'zod';
import { BatchRequest, ExecutionRequest, LanguageName, PolicyName } from '../../lib/schemas/execution-request';
import { EXECUTION_STATUSES } from '../../lib/vocabulary';
import { toSarif } from '../reports/sarif';
import { toJunit } from '../reports/junit';
import { DecisionRequest } from '../../lib/schemas/approval';
import { decisionComment } from '../../lib/rules';
import type { RuntimeCatalog } from '../../lib/node/runtimes';
import type { LoadedPolicy } from '../../lib/node/policies';
import type { ExecutionService } from '../execution-service';
import { ExecutionAdmission } from '../execution-admission';
import type { TemplateService } from '../template-service';
import { HttpError } from '../errors';
import { jsonBody } from '../body';
import { principalOf, requireScope } from '../auth';
import { PageToken, parseBody, parseQuery, requireJson } from './parse';
import { lastEventId, streamEvents } from '../sse';
import { idempotencyConflict, idempotencyKeyOf, idempotencyOf } from '../idempotency';
import { APPROVAL_REFUSALS } from '../../workflows/messages';
import type { TenantLeases } from '../tenant-leases';

export interface ExecutionRoutesDeps {
  executions: ExecutionService;
  leases: TenantLeases;
  runtimes: RuntimeCatalog;
  policies: Map<string, LoadedPolicy>;
  waitLimitMs: number;
  templates: TemplateService;
}

export const ExecutionWaitQuery = z.object({ wait: z.enum(['true', 'false']).optional() });
export const ExecutionListQuery = z.strictObject({
  status: z.enum(EXECUTION_STATUSES).optional(),
  language: LanguageName.optional(),
  policy: PolicyName.optional(),
  gate: z.enum(['pass', 'warn', 'block']).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  pageToken: PageToken.optional(),
});

export function executionRoutes({
  executions,
  leases,
  runtimes,
  policies,
  waitLimitMs,
  templates,
}: ExecutionRoutesDeps): Router {
  const admission = new ExecutionAdmission({ executions, leases, runtimes, policies });
  const router = Router();
  router.use(jsonBody());
  const tenantOf = (req: Request): string => principalOf(req).tenant;

  router.post('/', requireScope('submit'), async (req, res) => {
    const { wait } = parseQuery(ExecutionWaitQuery, req.query);
    requireJson(req);
    const principal = principalOf(req);
    const key = idempotencyKeyOf(req);
    const { body, template } = await templates.bind(parseBody(ExecutionRequest, req.body), principal.tenant);
    const { input, needs } = admission.prepare({ body, principal, idempotencyKey: key, template });
    const idempotency = idempotencyOf(req.body, key);
    const { submitted, result } = await admission.submitLeased({
      principal,
      input,
      leased: await admission.acquire(principal, needs),
      submit: async (leased) =>
        wait === 'true'
          ? await executions.submitAndWait(leased, principal.tenant, waitLimitMs, idempotency)
          : { submitted: await executions.submit(leased, idempotency), result: null },
    });
    if (submitted === 'conflict') throw idempotencyConflict();
    res.location(`/v1/executions/${input.executionId}`);
    if (result) res.status(200).json(result);
    else res.status(202).json({ id: input.executionId, status: 'queued' });
  });

  /** Up to 100 executions at once: all are validated before any starts; ids (or results) come back in order. */
  router.post('/batch', requireScope('submit'), async (req, res) => {
    const { wait } = parseQuery(ExecutionWaitQuery, req.query);
    requireJson(req);
    const principal = principalOf(req);
    const batch = parseBody(BatchRequest, req.body);
    // With a key, each item is idempotent on its own: a retry starts only what did not start before.
    const key = idempotencyKeyOf(req);
    const itemKey = (i: number) => (key === undefined ? undefined : `${key}:${i}`);
    const bodies = batch.executions.map((item, i) => {
      const prefix = `executions.${i}`;
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        throw HttpError.invalid(prefix, 'must be a JSON object');
      return parseBody(ExecutionRequest, item, prefix);
    });
    const bound = await Promise.all(
      bodies.map((body, i) => templates.bind(body, principal.tenant, `executions.${i}.`)),
    );
    const prepared = bound.map(({ body, template }, i) =>
      admission.prepare({ body, principal, prefix: `executions.${i}`, idempotencyKey: itemKey(i), template }),
    );
    await admission.startBatch({ principal, items: batch.executions, prepared, itemKey });
    const ids = prepared.map((p) => p.input.executionId);
    if (wait !== 'true') {
      res.status(202).json({ ids });
      return;
    }
    const results = await executions.waitForResults(ids, principal.tenant, waitLimitMs);
    res.status(200).json({ results });
  });

  router.get('/', async (req, res) => {
    const { pageSize, pageToken, ...filters } = parseQuery(ExecutionListQuery, req.query);
    res.json(await executions.list(tenantOf(req), filters, pageSize, pageToken));
  });

  router.get('/:id', async (req, res) => {
    const result = await executions.get(req.params.id, tenantOf(req));
    if (!result) throw HttpError.notFound(`execution ${req.params.id}`);
    res.json(result);
  });

  for (const [action, decision] of [
    ['approve', 'approve'],
    ['reject', 'reject'],
  ] as const) {
    router.post(`/:id/${action}`, requireScope('approve'), async (req, res) => {
      requireJson(req);
      const text = decisionComment(parseBody(DecisionRequest, req.body));
      const principal = principalOf(req);
      const id = String(req.params.id);
      const outcome = await executions.decide(id, principal.tenant, {
        decision,
        ...(text ? { comment: text } : {}),
        approver: { keyId: principal.keyId, tenant: principal.tenant, label: principal.label },
      });
      if (outcome === null) throw HttpError.notFound(`execution ${id}`);
      if ('refused' in outcome) throw decisionRefusal(id, outcome);
      res.json({ id, approval: outcome.approval });
    });
  }

  router.get('/:id/events', async (req, res) => {
    lastEventId(req); // a bad id is a 400 before anything is looked up
    const pages = await executions.eventPages(req.params.id, tenantOf(req));
    if (!pages) throw HttpError.notFound(`execution ${req.params.id}`);
    await streamEvents(req, res, pages);
  });

  router.get('/:id/sarif', async (req, res) => {
    const result = await executions.get(req.params.id, tenantOf(req));
    if (!result) throw HttpError.notFound(`execution ${req.params.id}`);
    res.type('application/sarif+json').send(JSON.stringify(toSarif(result), null, 2));
  });

  router.get('/:id/junit', async (req, res) => {
    const result = await executions.get(req.params.id, tenantOf(req));
    if (!result) throw HttpError.notFound(`execution ${req.params.id}`);
    res.type('application/xml').send(toJunit(result));
  });

  router.get('/:id/history', async (req, res) => {
    const history = await executions.history(String(req.params.id), tenantOf(req));
    if (!history) throw HttpError.notFound(`execution ${req.params.id}`);
    res.type('application/json').send(history);
  });

  router.post('/:id/cancel', requireScope('submit', 'admin'), async (req, res) => {
    const status = await executions.cancel(String(req.params.id), tenantOf(req));
    if (!status) throw HttpError.notFound(`execution ${req.params.id}`);
    if (status !== 'cancelling') {
      throw new HttpError(409, 'already_finished', `execution ${req.params.id} has already finished (${status})`);
    }
    res.status(202).json({ id: req.params.id, status });
  });

  return router;
}

/** A decision the workflow refused, as an answer: 403 for one the key may not make, 409 for the wrong moment. */
function decisionRefusal(id: string, { refused, message }: { refused: string; message: string }): HttpError {
  switch (refused) {
    case APPROVAL_REFUSALS.selfApproval:
      return new HttpError(403, 'self_approval', `execution ${id}: ${message}`);
    case APPROVAL_REFUSALS.otherTenant:
      return HttpError.notFound(`execution ${id}`);
    case APPROVAL_REFUSALS.alreadyDecided:
      return new HttpError(409, 'already_decided', `execution ${id}: ${message}`);
    default:
      return new HttpError(409, 'not_awaiting_approval', `execution ${id} is not waiting for approval`);
  }
}
