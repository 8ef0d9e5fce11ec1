import { Router, type Request } from 'express';
import { z } from 'zod';
import {
  BatchRequest,
  ExecutionRequest,
  LanguageName,
  PolicyName,
  type ExecutionInput,
  type ParsedExecutionRequest,
} from '../../lib/schemas/execution-request';
import { EXECUTION_STATUSES } from '../../lib/vocabulary';
import { toSarif } from '../reports/sarif';
import { toJunit } from '../reports/junit';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { DecisionRequest } from '../../lib/schemas/approval';
import { decisionComment } from '../../lib/rules';
import { normalizeRequest } from '../../lib/node/normalize-request';
import type { RuntimeDefinition } from '../../lib/node/runtimes';
import type { LoadedPolicy } from '../../lib/node/policies';
import { policyViolations } from '../../lib/node/gate';
import type { Principal } from '../../lib/node/api-keys';
import type { ExecutionService } from '../execution-service';
import { HttpError } from '../errors';
import { jsonBody } from '../body';
import { principalOf, requireScope } from '../auth';
import { PageToken, choosePolicy, parseBody, parseQuery, requireJson, resolveRuntimeAndPolicy } from './parse';
import { lastEventId, streamEvents } from '../sse';
import { idempotencyConflict, idempotencyKeyOf, idempotencyOf } from '../idempotency';
import { idempotentExecutionId } from '../../lib/node/execution-ids';
import { APPROVAL_REFUSALS } from '../../workflows/messages';
import {
  checkFits,
  executionNeeds,
  hasLeaseQuotas,
  type LeaseNeeds,
  type Leased,
  type TenantLeases,
} from '../tenant-leases';

export interface ExecutionRoutesDeps {
  executions: ExecutionService;
  leases: TenantLeases;
  runtimes: Map<string, RuntimeDefinition>;
  policies: Map<string, LoadedPolicy>;
  waitLimitMs: number;
}

/** Workflow starts in flight at once for one batch. */
const BATCH_START_CONCURRENCY = 16;

const WaitQuery = z.object({ wait: z.enum(['true', 'false']).optional() });
const ListQuery = z.strictObject({
  status: z.enum(EXECUTION_STATUSES).optional(),
  language: LanguageName.optional(),
  policy: PolicyName.optional(),
  gate: z.enum(['pass', 'warn', 'block']).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  pageToken: PageToken.optional(),
});

export function executionRoutes({ executions, leases, runtimes, policies, waitLimitMs }: ExecutionRoutesDeps): Router {
  const router = Router();
  router.use(jsonBody());
  const tenantOf = (req: Request): string => principalOf(req).tenant;

  /** Validation, runtime and policy checks, normalisation: everything before the workflow starts. */
  function prepare(body: ParsedExecutionRequest, principal: Principal, prefix = '', idempotencyKey?: string): Prepared {
    const at = (field: string) => [prefix, field].filter(Boolean).join('.');
    const bound = { ...body, policy: choosePolicy(principal, body.policy, at) };
    const { runtime, policy } = resolveRuntimeAndPolicy(runtimes, policies, bound, at);
    const input = normalizeRequest(bound, {
      tenant: principal.tenant,
      keyId: principal.keyId,
      runtime: runtime.manifest,
      ...(idempotencyKey === undefined ? {} : { executionId: idempotentExecutionId(principal.tenant, idempotencyKey) }),
    });
    // The gate checks again in the workflow (and records it); answering here names the field.
    const violations = policyViolations(input, policy.policy, runtime.manifest);
    if (violations.length > 0) {
      const size = violations.find((v) => v.kind === 'size');
      const shown = (size ? [size] : violations).map(({ field, message }) => ({ field: at(field), message }));
      throw new HttpError(
        size ? 413 : 400,
        size ? 'payload_too_large' : 'policy_violation',
        `${shown[0]!.field}: ${shown[0]!.message}`,
        shown,
      );
    }
    // Only a tenant with in-flight quotas pays for working out what its execution asks of them.
    if (!hasLeaseQuotas(principal.quotas)) return { input, needs: undefined };
    const needs = { id: input.executionId, ...executionNeeds(input, policy, runtime.manifest) };
    checkFits(principal, needs, prefix);
    return { input, needs };
  }

  /**
   * Starts under a lease taken for it (undefined: the tenant has no in-flight quota). A lease the
   * start did not use (it failed, or found the execution already there) is given back.
   */
  async function submitLeased<T extends { submitted: 'started' | 'duplicate' | 'conflict' }>(
    principal: Principal,
    input: ExecutionInput,
    leased: Leased,
    submit: (input: ExecutionInput) => Promise<T>,
  ): Promise<T> {
    let outcome: T;
    try {
      outcome = await submit(leased ? { ...input, lease: { queued: leased.queued } } : input);
    } catch (err) {
      await leases.release(principal.tenant, input.executionId, leased);
      throw err;
    }
    if (outcome.submitted !== 'started') await leases.release(principal.tenant, input.executionId, leased);
    return outcome;
  }

  router.post('/', requireScope('submit'), async (req, res) => {
    const { wait } = parseQuery(WaitQuery, req.query);
    requireJson(req);
    const principal = principalOf(req);
    const key = idempotencyKeyOf(req);
    const { input, needs } = prepare(parseBody(ExecutionRequest, req.body), principal, '', key);
    const idempotency = idempotencyOf(req.body, key);
    const leased = await leases.acquire(principal, needs);
    const { submitted, result } = await submitLeased(principal, input, leased, async (leased) =>
      wait === 'true'
        ? await executions.submitAndWait(leased, principal.tenant, waitLimitMs, idempotency)
        : { submitted: await executions.submit(leased, idempotency), result: null },
    );
    if (submitted === 'conflict') throw idempotencyConflict();
    res.location(`/v1/executions/${input.executionId}`);
    if (result) res.status(200).json(result);
    else res.status(202).json({ id: input.executionId, status: 'queued' });
  });

  /** Up to 100 executions at once: all are validated before any starts; ids (or results) come back in order. */
  router.post('/batch', requireScope('submit'), async (req, res) => {
    const { wait } = parseQuery(WaitQuery, req.query);
    requireJson(req);
    const principal = principalOf(req);
    const batch = parseBody(BatchRequest, req.body);
    // With a key, each item is idempotent on its own: a retry starts only what did not start before.
    const key = idempotencyKeyOf(req);
    const itemKey = (i: number) => (key === undefined ? undefined : `${key}:${i}`);
    const prepared = batch.executions.map((item, i) => {
      const prefix = `executions.${i}`;
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        throw HttpError.invalid(prefix, 'must be a JSON object');
      return prepare(parseBody(ExecutionRequest, item, prefix), principal, prefix, itemKey(i));
    });
    const inputs = prepared.map((p) => p.input);
    // In order, in one round trip: under a quota the first items are the ones admitted.
    const leased = await leases.acquireAll(
      principal,
      prepared.map((p) => p.needs),
    );
    const started = await startEach(inputs, async (input, i) => {
      const lease = leased[i];
      if (lease instanceof HttpError) return lease;
      const idempotency = idempotencyOf(batch.executions[i], itemKey(i));
      const { submitted } = await submitLeased(principal, input, lease, async (leasedInput) => ({
        submitted: await executions.submit(leasedInput, idempotency),
      }));
      return submitted;
    });
    const failure = batchFailure(inputs, started);
    if (failure) throw failure;
    if (wait !== 'true') {
      res.status(202).json({ ids: inputs.map((i) => i.executionId) });
      return;
    }
    const deadline = Date.now() + waitLimitMs;
    const results = await Promise.all(
      inputs.map(async ({ executionId }): Promise<ExecutionResult | { id: string; status: 'queued' | 'running' }> => {
        const result = await executions.waitForResult(
          executionId,
          principal.tenant,
          Math.max(0, deadline - Date.now()),
        );
        return result ?? { id: executionId, status: 'running' };
      }),
    );
    res.status(200).json({ results });
  });

  router.get('/', async (req, res) => {
    const { pageSize, pageToken, ...filters } = parseQuery(ListQuery, req.query);
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

type Started = 'started' | 'duplicate' | 'conflict' | Error;

/** An item ready to start, and what it asks of its tenant's quotas. */
interface Prepared {
  input: ExecutionInput;
  /** Undefined when the tenant has no in-flight quota. */
  needs: LeaseNeeds | undefined;
}

/** Starts every item, a few at a time; each one's outcome, a failure included, in order. */
async function startEach<T>(items: T[], start: (item: T, index: number) => Promise<Started>): Promise<Started[]> {
  const outcomes: Started[] = [];
  for (let i = 0; i < items.length; i += BATCH_START_CONCURRENCY) {
    const slice = items.slice(i, i + BATCH_START_CONCURRENCY);
    outcomes.push(
      ...(await Promise.all(
        slice.map((item, j) =>
          start(item, i + j).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
        ),
      )),
    );
  }
  return outcomes;
}

/**
 * A batch of which some items did not start: the answer names those that did (their ids, so a
 * client loses none) and why the others did not. A reused key is the client's 409; items over the
 * tenant's quota are a 429 (with its `Retry-After`); anything else is ours, 503. A retry with the
 * same Idempotency-Key starts only what is missing.
 */
function batchFailure(inputs: ExecutionInput[], outcomes: Started[]): HttpError | undefined {
  let overQuota: HttpError | undefined;
  const failed = outcomes.flatMap((o, index) => {
    if (o === 'conflict')
      return [{ index, code: 'idempotency_key_reused', message: 'was already used for a different request' }];
    if (o instanceof HttpError && o.status === 429) {
      overQuota ??= o;
      return [{ index, code: o.code, message: o.message }];
    }
    return o instanceof Error ? [{ index, code: 'start_failed', message: o.message }] : [];
  });
  if (failed.length === 0) return undefined;
  const started = outcomes.flatMap((o, index) =>
    o === 'started' || o === 'duplicate' ? [{ index, id: inputs[index]!.executionId }] : [],
  );
  const conflictsOnly = failed.every((f) => f.code === 'idempotency_key_reused');
  const message = `${failed.length} of ${inputs.length} executions did not start; ${started.length} did`;
  const issues = failed.map((f) => ({
    field: f.code === 'idempotency_key_reused' ? 'header.Idempotency-Key' : `executions.${f.index}`,
    message: `executions.${f.index}: ${f.message}`,
  }));
  if (conflictsOnly) return new HttpError(409, 'idempotency_key_reused', message, issues, { started, failed });
  const ours = failed.some((f) => f.code === 'start_failed');
  return overQuota && !ours
    ? new HttpError(429, overQuota.code, message, issues, { started, failed }, overQuota.headers)
    : new HttpError(503, 'batch_partially_started', message, issues, { started, failed });
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
