/**
 * The API's log lines about one execution or sandbox name it as `executionId`, however deep in the
 * request they are written. (Trace fields: test/unit/tracing.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { ExecutionService } from '../../api/execution-service';
import type { TenantLeases } from '../../api/tenant-leases';
import type { TemplateService } from '../../api/template-service';
import type { SandboxService } from '../../api/sandbox-service';
import { ApiKeyStore } from '../../lib/node/api-keys';
import { RuntimeCatalog } from '../../lib/node/runtimes';
import { createLogger, withLogFields } from '../../lib/node/logger';

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
    done();
  },
});
const log = createLogger('api-log-test', 'info', sink);

const keys = new ApiKeyStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-keys-')), 'keys.json'));
const auth = { authorization: `Bearer ${keys.create('default', 'tests').key}` };
const unavailable = async () => {
  throw new Error('the store is down');
};
const app = createApp({
  executions: { get: unavailable } as unknown as ExecutionService,
  sandboxes: { get: unavailable } as unknown as SandboxService,
  templates: { get: unavailable } as unknown as TemplateService,
  leases: { acquire: unavailable } as unknown as TenantLeases,
  sandboxStepsPerRun: 500,
  runtimes: new RuntimeCatalog([]),
  policies: new Map(),
  health: async () => ({ ok: true }) as never,
  keys,
  waitLimitMs: 1_000,
  log,
});

beforeEach(() => {
  lines.length = 0;
});

test.each([
  ['/v1/executions/ex_0123456789abcdef0123456789abcdef', 'ex_0123456789abcdef0123456789abcdef'],
  ['/v1/sandboxes/sbx_0123456789abcdef0123456789abcdef', 'sbx_0123456789abcdef0123456789abcdef'],
])('a failed request for %s is logged with its id', async (url, id) => {
  expect((await request(app).get(url).set(auth)).status).toBe(500);
  expect(lines).toEqual([expect.objectContaining({ msg: 'request failed', executionId: id })]);
  // No tracing in this process: no trace fields either.
  expect(lines[0]).not.toHaveProperty('traceId');
});

test('lines carry the scoped fields inside the scope, and only there', () => {
  withLogFields({ executionId: 'ex_1' }, () => log.info({ stage: 'run' }, 'inside'));
  log.info('outside');
  expect(lines[0]).toMatchObject({ msg: 'inside', stage: 'run', executionId: 'ex_1' });
  expect(lines[1]).toMatchObject({ msg: 'outside' });
  expect(lines[1]).not.toHaveProperty('executionId');
});
