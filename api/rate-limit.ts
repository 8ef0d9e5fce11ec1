import type { RequestHandler, Response } from 'express';
import type { TenantQuotas } from '../lib/schemas/quotas';
import { principalOf } from './auth';
import { HttpError } from './errors';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms. */
  at: number;
  rate: number;
  burst: number;
}

export interface Take {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the next request would be allowed (0 when this one was). */
  retryAfterSeconds: number;
}

/** Buckets kept before full ones are forgotten (a full bucket is the same as none). */
const MAX_BUCKETS = 10_000;

/** A token bucket per key: `rate` tokens a second, up to `burst`. In memory, per API process. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  take(key: string, rate: number, burst: number, now = Date.now()): Take {
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now, rate, burst };
    Object.assign(bucket, { tokens: refilled(bucket, now, rate, burst), at: now, rate, burst });
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) this.forgetFull(now);
    return {
      allowed,
      limit: burst,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: Math.ceil((burst - bucket.tokens) / rate),
      retryAfterSeconds: allowed ? 0 : Math.ceil((1 - bucket.tokens) / rate),
    };
  }

  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (refilled(bucket, now, bucket.rate, bucket.burst) >= bucket.burst) this.buckets.delete(key);
    }
  }
}

function refilled(bucket: Bucket, now: number, rate: number, burst: number): number {
  return Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rate);
}

/** The bucket size a tenant gets: its `burst`, or one second's worth of its rate (at least one request). */
export function burstOf(quotas: TenantQuotas): number {
  return quotas.burst ?? Math.max(1, Math.ceil(quotas.requestsPerSecond ?? 1));
}

export function setRateLimitHeaders(res: Response, take: Pick<Take, 'limit' | 'remaining' | 'resetSeconds'>): void {
  res.set({
    'RateLimit-Limit': String(take.limit),
    'RateLimit-Remaining': String(take.remaining),
    'RateLimit-Reset': String(take.resetSeconds),
  });
}

/**
 * Each key's request rate, when its tenant has one: every answer says how much is left, and one
 * over the rate is a 429 with `Retry-After`. Behind the key check, so an unknown caller costs no bucket.
 */
export function rateLimit(buckets = new TokenBuckets()): RequestHandler {
  return (req, res, next) => {
    const { keyId, tenant, quotas } = principalOf(req);
    const rate = quotas.requestsPerSecond;
    if (rate === undefined) return next();
    const take = buckets.take(keyId, rate, burstOf(quotas));
    setRateLimitHeaders(res, take);
    if (take.allowed) return next();
    throw new HttpError(
      429,
      'rate_limited',
      `key ${keyId} is over tenant ${tenant}'s rate of ${rate} requests per second; retry in ${take.retryAfterSeconds} s`,
      [],
      { retryAfterSeconds: take.retryAfterSeconds },
      { 'Retry-After': String(take.retryAfterSeconds) },
    );
  };
}
