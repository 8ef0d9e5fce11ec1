import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { Principal } from '../lib/node/api-keys';
import type { LeaseAnswer, LeaseRequest, TenantQuotas } from '../lib/schemas/quotas';
import { LEASE_LIMITS, type LeaseLimit } from '../lib/vocabulary';
import { quotaWorkflowId } from '../lib/quota-ids';
import { ORCHESTRATION_QUEUE } from '../lib/task-queues';
import type { TenantQuotaInput, tenantQuotaWorkflow } from '../workflows/tenant-quota';
import { acquireLeasesUpdate, quotaUsageQuery, releaseLeaseSignal } from '../workflows/messages';
import { LeaseBook, type QuotaView } from '../workflows/lease-book';
import type { ExecutionInput } from '../lib/schemas/execution-request';
import type { LoadedPolicy } from '../lib/node/policies';
import type { RuntimeManifest } from '../lib/schemas/runtime';
import { planUnderPolicy } from '../lib/node/execution-plan';
import { containerNeeds } from '../lib/container-needs';
import { HttpError } from './errors';
import { tenantPriority } from './priority';

/** What one execution or sandbox asks of its tenant's in-flight quotas. */
export interface LeaseNeeds {
  id: string;
  kind: LeaseRequest['kind'];
  memoryMb: number;
  cpus: number;
}

/** A holder's lease, as the request that took it should pass it to its workflow. */
export type Leased = { queued: boolean; fresh: boolean } | undefined;

/** When a holder ends is not known: a client over an in-flight quota is told to look again soon. */
const IN_FLIGHT_RETRY_SECONDS = { execution: 1, sandbox: 5 } as const;

/** Whether any in-flight quota bounds the tenant: without one nothing is leased or counted. */
export const hasLeaseQuotas = (q: TenantQuotas): boolean => LEASE_LIMITS.some((limit) => q[limit] !== undefined);

const WHAT: Record<LeaseLimit, string> = {
  executions: 'executions',
  sandboxes: 'sandboxes',
  memoryMb: 'MB of memory',
  cpus: 'CPUs',
};

/**
 * A 400 for a request that alone is over its tenant's quota, so no wait could admit it: checked
 * before anything starts (a batch is checked whole first).
 */
export function checkFits(principal: Principal, needs: Omit<LeaseNeeds, 'id'>, prefix = ''): void {
  const over = LeaseBook.overAlone({ ...needs, quotas: principal.quotas });
  if (over) throw exceedsQuota(principal.tenant, over, prefix);
}

/** A 429 for a tenant at an in-flight quota, with when to look again. */
function overQuota(
  tenant: string,
  kind: LeaseNeeds['kind'],
  answer: { limit: LeaseLimit; max: number; inUse: number },
): HttpError {
  const retry = IN_FLIGHT_RETRY_SECONDS[kind];
  return new HttpError(
    429,
    'quota_exceeded',
    `tenant ${tenant} has ${answer.inUse} ${WHAT[answer.limit]} in flight of its quota of ${answer.max}; retry once one ends`,
    [],
    { quota: answer.limit, limit: answer.max, inUse: answer.inUse, retryAfterSeconds: retry },
    {
      'Retry-After': String(retry),
      'RateLimit-Limit': String(answer.max),
      'RateLimit-Remaining': String(Math.max(0, Math.floor(answer.max - answer.inUse))),
      'RateLimit-Reset': String(retry),
    },
  );
}

function exceedsQuota(tenant: string, over: { limit: LeaseLimit; max: number }, prefix = ''): HttpError {
  const field = [prefix, FIELD_OF[over.limit]].filter(Boolean).join('.');
  const message = `asks for more ${WHAT[over.limit]} than tenant ${tenant}'s quota of ${over.max} in flight`;
  return new HttpError(400, 'exceeds_quota', `${field}: ${message}`, [{ field, message }]);
}

/** What an execution's container asks of the quotas: the plan's memory (compile included) and CPUs. */
export function executionNeeds(
  input: ExecutionInput,
  policy: LoadedPolicy,
  runtime: RuntimeManifest | undefined,
): Omit<LeaseNeeds, 'id'> {
  const plan = planUnderPolicy({ input, loaded: policy, runtime });
  return { kind: 'execution', memoryMb: containerNeeds(plan).memoryMb, cpus: plan.limits.cpus };
}

/** The field a request names when it alone is over a quota. */
const FIELD_OF: Record<LeaseLimit, string> = {
  executions: 'quotas.executions',
  sandboxes: 'quotas.sandboxes',
  memoryMb: 'limits.memoryMb',
  cpus: 'policy',
};

/**
 * Leases from each tenant's quota workflow (workflows/tenant-quota.ts), which every API process
 * asks: the one place a tenant's in-flight count is kept. A tenant without in-flight quotas takes
 * no lease and costs no round trip.
 */
const SEND_ATTEMPTS = 5;
/** How long one lease update may take before the request is answered 503. */
const ACQUIRE_TIMEOUT_MS = 10_000;

/**
 * An update the server gave up on without the workflow judging it: rejected as unprocessed when its
 * run closed (continued as new), or aborted. Its requests were never granted, so sending them again
 * is safe (and a lease already held is granted again, not twice).
 */
function droppedUnprocessed(err: unknown): boolean {
  if (err instanceof WorkflowUpdateFailedError) return !(err.cause instanceof ApplicationFailure);
  const { code, message } = err as { code?: number; message?: string };
  return code === 14 && /aborted/i.test(message ?? '');
}

/** Lease requests one update carries at most (a batch's 100 items, or a burst of single ones). */
const MAX_REQUESTS_PER_UPDATE = 200;

interface AskLine {
  sending: boolean;
  waiting: Array<{
    requests: LeaseRequest[];
    resolve: (value: { answers: LeaseAnswer[] }) => void;
    reject: (err: unknown) => void;
  }>;
}

export class TenantLeases {
  private readonly lines = new Map<string, AskLine>();

  private readonly sweep: TenantQuotaInput['sweep'] | undefined;
  private readonly acquireTimeoutMs: number;

  constructor(
    private readonly client: Client,
    opts: {
      /** How the quota workflows check on holders; their own default when absent (tests make it short). */
      sweep?: TenantQuotaInput['sweep'];
      /** How long a request waits for its tenant's quota workflow to answer before a 503. */
      acquireTimeoutMs?: number;
    } = {},
  ) {
    this.sweep = opts.sweep;
    this.acquireTimeoutMs = opts.acquireTimeoutMs ?? ACQUIRE_TIMEOUT_MS;
  }

  /**
   * A lease for `needs`, or the 429 (over a quota: `Retry-After` and `RateLimit-*`) or 400 (over
   * it alone) that refuses it. Executions of a tenant whose quotas say `queue` wait instead.
   */
  async acquire(principal: Principal, needs: LeaseNeeds | undefined): Promise<Leased> {
    const [leased] = await this.acquireAll(principal, [needs]);
    if (leased instanceof HttpError) throw leased;
    return leased;
  }

  /**
   * Leases for several, judged in order in one round trip (a batch): each a lease or its refusal.
   * Needs are undefined only for a tenant without in-flight quotas, which leases nothing.
   */
  async acquireAll(principal: Principal, wanted: Array<LeaseNeeds | undefined>): Promise<Array<Leased | HttpError>> {
    const { quotas, tenant } = principal;
    const all = wanted.filter((n): n is LeaseNeeds => n !== undefined);
    if (!hasLeaseQuotas(quotas) || all.length < wanted.length) return wanted.map(() => undefined);
    for (const needs of all) checkFits(principal, needs);
    const requests = all.map((needs) => ({
      ...needs,
      quotas,
      queue: needs.kind === 'execution' && quotas.overQuota === 'queue',
    }));
    const { answers } = await this.ask(tenant, requests);
    return answers.map((answer, i) => {
      if (answer.granted) return { queued: false, fresh: answer.fresh };
      if (answer.queued) return { queued: true, fresh: answer.fresh };
      if (answer.never) return exceedsQuota(tenant, answer);
      return overQuota(tenant, all[i]!.kind, answer);
    });
  }

  /**
   * Gives back a lease this request took for a holder it did not start: its start failed, or an
   * Idempotency-Key found the holder already there. Only when no run of that id is going on: a
   * running one (the same key's other request won the start, or a start that timed out did start)
   * holds the lease and gives it back itself; one that cannot be asked about is left to the sweep.
   */
  async release(tenant: string, id: string, leased: Leased): Promise<void> {
    if (!leased?.fresh) return;
    let running: boolean;
    try {
      running = (await this.client.workflow.getHandle(id).describe()).status.name === 'RUNNING';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) return;
      running = false;
    }
    if (running) return;
    await this.client.workflow
      .getHandle(quotaWorkflowId(tenant))
      .signal(releaseLeaseSignal, { id })
      .catch(() => undefined); // the sweep frees it
  }

  /** What the tenant holds and has queued; null when it has never taken a lease. */
  async usage(tenant: string): Promise<QuotaView | null> {
    try {
      return await this.client.workflow.getHandle(quotaWorkflowId(tenant)).query(quotaUsageQuery);
    } catch {
      return null;
    }
  }

  /**
   * One update in flight per tenant from this process: requests that arrive meanwhile go together in
   * the next. Temporal bounds the updates in flight on one workflow (10 by default), and a tenant's
   * burst would pass that; batched, a burst is also fewer workflow tasks.
   */
  private ask(tenant: string, requests: LeaseRequest[]): Promise<{ answers: LeaseAnswer[] }> {
    return new Promise((resolve, reject) => {
      const line = this.lines.get(tenant) ?? { sending: false, waiting: [] };
      this.lines.set(tenant, line);
      line.waiting.push({ requests, resolve, reject });
      this.pump(tenant, line);
    });
  }

  private pump(tenant: string, line: AskLine): void {
    if (line.sending) return;
    if (line.waiting.length === 0) {
      this.lines.delete(tenant);
      return;
    }
    // Bounded, so one update's payload stays small; the first waiter always goes.
    const batch: AskLine['waiting'] = [];
    let count = 0;
    while (
      line.waiting.length > 0 &&
      (batch.length === 0 || count + line.waiting[0]!.requests.length <= MAX_REQUESTS_PER_UPDATE)
    ) {
      const waiter = line.waiting.shift()!;
      batch.push(waiter);
      count += waiter.requests.length;
    }
    line.sending = true;
    this.send(
      tenant,
      batch.flatMap((w) => w.requests),
    )
      .then(
        ({ answers }) => {
          let at = 0;
          for (const waiter of batch) {
            waiter.resolve({ answers: answers.slice(at, at + waiter.requests.length) });
            at += waiter.requests.length;
          }
        },
        (err: unknown) => batch.forEach((waiter) => waiter.reject(err)),
      )
      .finally(() => {
        line.sending = false;
        this.pump(tenant, line);
      });
  }

  /**
   * The update, sent again when the server dropped it unprocessed: an update in flight as the quota
   * workflow continues as new is rejected so, and the next run takes it.
   */
  private async send(tenant: string, requests: LeaseRequest[]): Promise<{ answers: LeaseAnswer[] }> {
    for (let attempt = 1; ; attempt++) {
      const start = new WithStartWorkflowOperation<typeof tenantQuotaWorkflow>('tenantQuotaWorkflow', {
        taskQueue: ORCHESTRATION_QUEUE,
        workflowId: quotaWorkflowId(tenant),
        args: [{ tenant, ...(this.sweep ? { sweep: this.sweep } : {}) }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        priority: tenantPriority(tenant),
      });
      // Bounded: with no orchestration worker polling, an update would wait for ever, and every
      // request of the tenant behind it. A lease granted after the bound is freed by the sweep.
      const deadline = AbortSignal.timeout(this.acquireTimeoutMs);
      try {
        return await this.client.withAbortSignal(deadline, () =>
          this.client.workflow.executeUpdateWithStart(acquireLeasesUpdate, {
            args: [{ requests }],
            startWorkflowOperation: start,
          }),
        );
      } catch (err) {
        if (deadline.aborted) {
          throw new HttpError(
            503,
            'busy',
            "the tenant's quota did not answer in time; retry shortly",
            [],
            {},
            {
              'Retry-After': '1',
            },
          );
        }
        if (attempt >= SEND_ATTEMPTS || !droppedUnprocessed(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }
}
