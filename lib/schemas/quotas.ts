import { z } from 'zod';
import type { LeaseLimit } from '../vocabulary';

const count = z.number().int('must be an integer').positive('must be positive');

/**
 * A tenant's share of the deployment. Every field is optional: what is not set is not bounded.
 * `overQuota: queue` makes an execution over its tenant's in-flight quotas wait its turn rather than
 * be refused; sandboxes, steps and the request rate are always refused (429) when over.
 */
export const TenantQuotas = z.strictObject({
  /** Executions admitted and not yet torn down. */
  executions: count.max(100_000).optional(),
  /** Sandboxes alive (from create to teardown). */
  sandboxes: count.max(100_000).optional(),
  /** Memory that the tenant's admitted executions and live sandboxes may ask for together. */
  memoryMb: count.max(16_777_216).optional(),
  /** CPUs that the tenant's admitted executions and live sandboxes may ask for together. */
  cpus: z.number().positive('must be positive').max(65_536).optional(),
  /** Steps waiting in one sandbox's queue (the running one not counted). */
  queuedSteps: count.max(10_000).optional(),
  /** Requests per second per key, as a token bucket refilled at this rate. */
  requestsPerSecond: z.number().positive('must be positive').max(100_000).optional(),
  /** The bucket's size: how many requests a key may send at once. Default: one second's worth, at least 1. */
  burst: count.max(1_000_000).optional(),
  overQuota: z.enum(['refuse', 'queue']).optional(),
});
export type TenantQuotas = z.infer<typeof TenantQuotas>;

export type { LeaseLimit } from '../vocabulary';

/** What a tenant's execution or sandbox holds while it lives. */
export const LeaseRequest = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(['execution', 'sandbox']),
  memoryMb: z.number().nonnegative(),
  cpus: z.number().nonnegative(),
  /** The tenant's quotas as the API read them for this request: the latest request's are in force. */
  quotas: TenantQuotas,
  /** Wait in the tenant's queue when over quota, rather than be refused. */
  queue: z.boolean(),
});
export type LeaseRequest = z.infer<typeof LeaseRequest>;

export type LeaseAnswer =
  /** `fresh`: granted by this request, not held already by an earlier try of it. */
  | { granted: true; fresh: boolean }
  /** `fresh`: queued by this request, not an earlier try of it that already waits. */
  | { granted: false; queued: true; position: number; fresh: boolean }
  /** `never`: this request alone is over the quota, so waiting cannot help. */
  | { granted: false; queued: false; limit: LeaseLimit; max: number; inUse: number; never: boolean };
