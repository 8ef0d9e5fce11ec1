/**
 * Everything between a parsed request and a started workflow: the key's policy, the runtime, the
 * policy's limits (answered here so the error names the field; the workflow checks again and records
 * it), normalisation, and the tenant's in-flight quota, a lease taken before the start and given back
 * if the start did not use it.
 */
import type { ExecutionInput, ParsedExecutionRequest } from '../lib/schemas/execution-request';
import { normalizeRequest } from '../lib/node/normalize-request';
import type { TemplateRef } from '../lib/schemas/template';
import type { RuntimeCatalog } from '../lib/node/runtimes';
import type { LoadedPolicy } from '../lib/node/policies';
import { policyViolations } from '../lib/node/execution-plan';
import type { Principal } from '../lib/node/api-keys';
import { idempotentExecutionId } from '../lib/node/execution-ids';
import type { ExecutionService } from './execution-service';
import { HttpError } from './errors';
import { idempotencyOf } from './idempotency';
import { choosePolicy, resolveRuntimeAndPolicy } from './routes/parse';
import {
  checkFits,
  executionNeeds,
  hasLeaseQuotas,
  type LeaseNeeds,
  type Leased,
  type TenantLeases,
} from './tenant-leases';

/** Workflow starts in flight at once for one batch. */
const BATCH_START_CONCURRENCY = 16;

/** An item ready to start, and what it asks of its tenant's quotas. */
export interface Prepared {
  input: ExecutionInput;
  /** Undefined when the tenant has no in-flight quota. */
  needs: LeaseNeeds | undefined;
}

export interface PrepareRequest {
  body: ParsedExecutionRequest;
  principal: Principal;
  /** Where the request sits in the body (`executions.3` in a batch), for the fields errors name. */
  prefix?: string;
  idempotencyKey?: string | undefined;
  /** The template the body names, resolved for the tenant (TemplateService.resolve). */
  template?: TemplateRef | undefined;
}

export interface LeasedStart<T> {
  principal: Principal;
  input: ExecutionInput;
  leased: Leased;
  submit: (input: ExecutionInput) => Promise<T>;
}

export interface BatchStart {
  principal: Principal;
  /** The raw items, each the ExecutionRequest its Prepared came from (their idempotency fingerprints). */
  items: unknown[];
  prepared: Prepared[];
  itemKey: (index: number) => string | undefined;
}

type Started = 'started' | 'duplicate' | 'conflict' | Error;

export class ExecutionAdmission {
  constructor(
    private readonly deps: {
      executions: ExecutionService;
      leases: TenantLeases;
      runtimes: RuntimeCatalog;
      policies: Map<string, LoadedPolicy>;
    },
  ) {}

  /** Validation, runtime and policy checks, normalisation: everything before the workflow starts. */
  prepare({ body, principal, prefix = '', idempotencyKey, template }: PrepareRequest): Prepared {
    const at = (field: string) => [prefix, field].filter(Boolean).join('.');
    const bound = { ...body, policy: choosePolicy(principal, body.policy, at) };
    const { runtime, policy } = resolveRuntimeAndPolicy(this.deps.runtimes, this.deps.policies, bound, at);
    const input = normalizeRequest(bound, {
      tenant: principal.tenant,
      keyId: principal.keyId,
      runtime: runtime.manifest,
      template,
      ...(idempotencyKey === undefined ? {} : { executionId: idempotentExecutionId(principal.tenant, idempotencyKey) }),
    });
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

  /** The lease for one execution: granted, queued, or a 429 (undefined: the tenant has no quota). */
  acquire(principal: Principal, needs: LeaseNeeds | undefined): Promise<Leased> {
    return this.deps.leases.acquire(principal, needs);
  }

  /**
   * Starts under a lease taken for it (undefined: the tenant has no in-flight quota). A lease the
   * start did not use (it failed, or found the execution already there) is given back.
   */
  async submitLeased<T extends { submitted: 'started' | 'duplicate' | 'conflict' }>({
    principal,
    input,
    leased,
    submit,
  }: LeasedStart<T>): Promise<T> {
    const release = () => this.deps.leases.release(principal.tenant, input.executionId, leased);
    let outcome: T;
    try {
      outcome = await submit(leased ? { ...input, lease: { queued: leased.queued } } : input);
    } catch (err) {
      await release();
      throw err;
    }
    if (outcome.submitted !== 'started') await release();
    return outcome;
  }

  /**
   * Leases for every item in one round trip, in order (under a quota the first items are the ones
   * admitted), then starts them a few at a time. Throws the batch's failure when any did not start.
   */
  async startBatch({ principal, items, prepared, itemKey }: BatchStart): Promise<void> {
    const inputs = prepared.map((p) => p.input);
    const leased = await this.deps.leases.acquireAll(
      principal,
      prepared.map((p) => p.needs),
    );
    const started = await startEach(inputs, async (input, i) => {
      const lease = leased[i];
      if (lease instanceof HttpError) return lease;
      const idempotency = idempotencyOf(items[i], itemKey(i));
      const { submitted } = await this.submitLeased({
        principal,
        input,
        leased: lease,
        submit: async (leasedInput) => ({ submitted: await this.deps.executions.submit(leasedInput, idempotency) }),
      });
      return submitted;
    });
    const failure = batchFailure(inputs, started);
    if (failure) throw failure;
  }
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
