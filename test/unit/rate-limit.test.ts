import express from 'express';
import request from 'supertest';
import { TokenBuckets, burstOf, rateLimit } from '../../api/rate-limit';
import { errorHandler } from '../../api/errors';
import { createLogger } from '../../lib/node/logger';
import type { Principal } from '../../lib/node/api-keys';

test('a bucket allows its burst at once, then refills at its rate', () => {
  const buckets = new TokenBuckets();
  const takes = [0, 0, 0].map(() => buckets.take('k', 2, 2, 1_000));
  expect(takes.map((t) => t.allowed)).toEqual([true, true, false]);
  expect(takes[2]).toMatchObject({ limit: 2, remaining: 0, retryAfterSeconds: 1, resetSeconds: 1 });
  // Half a second at 2 a second: one token back.
  expect(buckets.take('k', 2, 2, 1_500)).toMatchObject({ allowed: true, remaining: 0 });
  expect(buckets.take('k', 2, 2, 1_500).allowed).toBe(false);
  // Other keys have their own.
  expect(buckets.take('other', 2, 2, 1_500).allowed).toBe(true);
});

test('a slow rate says how long to wait', () => {
  const buckets = new TokenBuckets();
  expect(buckets.take('k', 0.1, 1, 0).allowed).toBe(true);
  expect(buckets.take('k', 0.1, 1, 1_000)).toMatchObject({ allowed: false, retryAfterSeconds: 9 });
});

test('the burst defaults to one second of the rate, at least one', () => {
  expect(burstOf({ requestsPerSecond: 5 })).toBe(5);
  expect(burstOf({ requestsPerSecond: 0.2 })).toBe(1);
  expect(burstOf({ requestsPerSecond: 5, burst: 20 })).toBe(20);
});

function appFor(quotas: Principal['quotas']) {
  const app = express();
  app.use((_req, res, next) => {
    res.locals.principal = { tenant: 't', keyId: 'k1', label: '', scopes: ['submit'], policies: {}, quotas };
    next();
  });
  app.use(rateLimit());
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorHandler(createLogger('rate-limit-test', 'silent')));
  return app;
}

test('over the rate the answer is 429 with Retry-After and RateLimit-* headers', async () => {
  const app = appFor({ requestsPerSecond: 1, burst: 2 });
  const first = await request(app).get('/');
  expect(first.status).toBe(200);
  expect(first.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1' });
  expect((await request(app).get('/')).status).toBe(200);
  const over = await request(app).get('/');
  expect(over.status).toBe(429);
  expect(over.headers).toMatchObject({ 'retry-after': '1', 'ratelimit-limit': '2', 'ratelimit-remaining': '0' });
  expect(over.body.error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 1 });
  expect(over.body.error.message).toContain('k1');
});

test('a tenant without a rate gets no headers and no limit', async () => {
  const app = appFor({});
  for (let i = 0; i < 5; i++) {
    const res = await request(app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit-limit']).toBeUndefined();
  }
});
