/**
 * Generated bad (and sometimes good) requests: none may produce a 5xx, and every one the API
 * accepts must reach a terminal status. Fixed seeds keep runs reproducible.
 */
import zlib from 'node:zlib';
import fc from 'fast-check';
import request from 'supertest';
import { TestCluster } from '../support/cluster';
import { createTestApi, type TestApi } from '../support/api';
import { isTerminal } from '../../lib/vocabulary';
import type { ExecutionResult } from '../../lib/schemas/execution-result';

let cluster: TestCluster;
let api: TestApi;
const accepted: string[] = [];
const EXPECTED_STATUSES = new Set([200, 202, 400, 413, 415]);

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster, { waitLimitMs: 1 });
});

afterAll(async () => {
  await cluster?.stop();
});

async function postRaw(
  body: string | object | Buffer,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<number> {
  const call = request(api.app)
    .post('/v1/executions')
    .set('authorization', `Bearer ${api.key}`)
    .set('content-type', contentType)
    .set(headers);
  // Bytes go as they are; superagent would otherwise serialise the Buffer object as JSON.
  if (Buffer.isBuffer(body)) call.serialize((b: Buffer) => b as unknown as string);
  const res = await call.send(body);
  if (!EXPECTED_STATUSES.has(res.status)) {
    throw new Error(`unexpected ${res.status} for ${JSON.stringify(body).slice(0, 300)}: ${JSON.stringify(res.body)}`);
  }
  if (res.status >= 400) expect(res.body.error?.message).toEqual(expect.any(String));
  if (res.status === 202 || res.status === 200) accepted.push(res.body.id as string);
  return res.status;
}

const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue());
const path = fc.oneof(
  fc.constantFrom('main.py', 'a/b.js', '../x', '/etc/passwd', 'a//b', 'nul\0.py', '.', '', 'x'.repeat(300)),
  fc.string(),
);
const file = fc.record(
  {
    path,
    content: fc.oneof(fc.string(), anyValue),
    encoding: fc.oneof(fc.constantFrom('utf8', 'base64', 'hex'), anyValue),
  },
  { requiredKeys: [] },
);
const limits = fc.record(
  {
    timeoutMs: fc.oneof(fc.integer({ min: -10, max: 4_000 }), fc.integer(), fc.double(), anyValue),
    cpuTimeMs: fc.oneof(fc.integer({ min: 1, max: 4_000 }), anyValue),
    memoryMb: fc.oneof(fc.integer({ min: 0, max: 5_000 }), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);
const executionRequest = fc.record(
  {
    language: fc.oneof(fc.constantFrom('python', 'javascript', 'cobol', '', 'PYTHON'), anyValue),
    code: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('print(1)', 'console.log(1)', '\ud800'), anyValue),
    files: fc.oneof(fc.array(file, { maxLength: 3 }), anyValue),
    entrypoint: fc.oneof(path, anyValue),
    stdin: fc.oneof(fc.string(), anyValue),
    args: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), anyValue),
    env: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }), anyValue),
    policy: fc.oneof(fc.constantFrom('default', 'nope'), anyValue),
    limits: fc.oneof(limits, anyValue),
    tests: fc.oneof(
      fc.record({ command: fc.oneof(fc.string(), fc.array(fc.string())), files: fc.array(file) }),
      anyValue,
    ),
    [String('surprise')]: anyValue,
  },
  { requiredKeys: [] },
);

/** A valid request with one field replaced: most are refused, some run. */
const nearlyValidRequest = fc
  .tuple(
    fc.constantFrom('language', 'code', 'stdin', 'args', 'env', 'limits', 'policy', 'tests', 'entrypoint'),
    fc.oneof(
      anyValue,
      limits,
      fc.array(fc.string(), { maxLength: 2 }),
      fc.constantFrom('python', 'javascript', 'default'),
    ),
  )
  .map(([field, value]) => ({ language: 'python', code: 'import sys\nprint(len(sys.argv))', [field]: value }));

describe('request fuzzing', () => {
  test('any JSON value as the body: a 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (body) => {
        await postRaw(JSON.stringify(body));
      }),
      { numRuns: 200, seed: 20261128 },
    );
  });

  test('arbitrary text under any content type: a 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (body, type) => {
          expect(await postRaw(body, type)).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 150, seed: 1128 },
    );
  });

  test('bodies under any Content-Encoding, really compressed or not: never a 5xx', async () => {
    const compress: Record<string, (bytes: Buffer) => Buffer> = {
      gzip: (b) => zlib.gzipSync(b),
      deflate: (b) => zlib.deflateSync(b),
      br: (b) => zlib.brotliCompressSync(b),
    };
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          executionRequest.map((r) => Buffer.from(JSON.stringify(r))),
          nearlyValidRequest.map((r) => Buffer.from(JSON.stringify(r))),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        ),
        fc.constantFrom('gzip', 'deflate', 'br', 'GZIP', 'identity', 'x-gzip', 'compress', 'gzip, br', 'zstd'),
        fc.constantFrom('as named', 'truncated', 'not compressed', 'compressed otherwise'),
        async (bytes, encoding, how) => {
          const own = compress[encoding.toLowerCase()];
          const other = compress[encoding.toLowerCase() === 'gzip' ? 'br' : 'gzip']!;
          const compressed = own?.(bytes);
          let body: Buffer = bytes;
          if (how === 'compressed otherwise') body = other(bytes);
          else if (compressed && how === 'as named') body = compressed;
          else if (compressed && how === 'truncated') body = compressed.subarray(0, compressed.length >> 1);
          statuses.add(await postRaw(body, 'application/json', { 'content-encoding': encoding }));
        },
      ),
      { numRuns: 300, seed: 20260 },
    );
    // Each kind of answer came up: refusals of the encoding and of the content, and accepted runs.
    expect([...statuses]).toEqual(expect.arrayContaining([202, 400, 415]));
  });

  test('execution requests with generated fields: never a 5xx, and every accepted one finishes', async () => {
    await fc.assert(
      fc.asyncProperty(executionRequest, async (body) => {
        await postRaw(body);
      }),
      { numRuns: 400, seed: 2026 },
    );
    const before = accepted.length;
    await fc.assert(
      fc.asyncProperty(nearlyValidRequest, async (body) => {
        await postRaw(body);
      }),
      { numRuns: 150, seed: 11 },
    );
    // The nearly valid ones must really reach the workflows, or this would only test validation.
    expect(accepted.length - before).toBeGreaterThanOrEqual(10);
    for (const id of accepted) {
      const result = (await cluster.client.workflow.getHandle(id).result()) as ExecutionResult;
      expect(isTerminal(result.status)).toBe(true);
    }
  });
});
