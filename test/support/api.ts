import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createHealthProbe } from '../../api/health';
import { TenantLeases } from '../../api/tenant-leases';
import { TemplateService } from '../../api/template-service';
import { SandboxService } from '../../api/sandbox-service';
import { ApiKeyStore } from '../../lib/node/api-keys';
import { loadPolicies } from '../../lib/node/policies';
import { createLogger } from '../../lib/node/logger';
import { TestCluster } from './cluster';

export interface TestApi {
  app: Express;
  keys: ApiKeyStore;
  /** A `submit` key of the `default` tenant, and one of a second tenant. */
  key: string;
  otherTenantKey: string;
  /** Two `approve` keys of the `default` tenant (labels "alice" and "bob"), and an `admin` one. */
  reviewerKey: string;
  secondReviewerKey: string;
  adminKey: string;
}

export interface TestApiOptions {
  waitLimitMs?: number;
  sandboxStepsPerRun?: number;
  /** A policies folder other than policies/, as given to the cluster's orchestration worker. */
  policiesDir?: string;
  /** The executions service, when a test puts something between the API and the cluster's. */
  executions?: TestCluster['executions'];
  /** How often the tenant quota workflows check on their holders (default a minute). */
  leaseSweep?: { intervalMs: number; graceMs: number };
  /** Browser origins that may call the codec endpoint. */
  codecCorsOrigins?: string[];
}

/** The real API app over the test cluster, with its own key file holding two tenants' keys. */
export function createTestApi(cluster: TestCluster, opts: TestApiOptions = {}): TestApi {
  const keys = new ApiKeyStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-keys-')), 'keys.json'));
  const key = keys.create('default', 'tests').key;
  const otherTenantKey = keys.create('other-tenant', 'tests').key;
  const reviewerKey = keys.create('default', 'alice', { scopes: ['approve'] }).key;
  const secondReviewerKey = keys.create('default', 'bob', { scopes: ['approve'] }).key;
  const adminKey = keys.create('default', 'operator', { scopes: ['admin'] }).key;
  const app = createApp({
    executions: opts.executions ?? cluster.executions,
    sandboxes: new SandboxService(cluster.client),
    templates: new TemplateService(cluster.client, 15 * 60_000),
    leases: new TenantLeases(cluster.client, opts.leaseSweep ? { sweep: opts.leaseSweep } : {}),
    sandboxStepsPerRun: opts.sandboxStepsPerRun ?? 500,
    runtimes: cluster.runtimes,
    policies: loadPolicies(opts.policiesDir),
    health: createHealthProbe({ client: cluster.client, namespace: 'default' }),
    keys,
    waitLimitMs: opts.waitLimitMs ?? 60_000,
    ...(opts.codecCorsOrigins ? { codecCorsOrigins: opts.codecCorsOrigins } : {}),
    log: createLogger('api-test', 'silent'),
  });
  return { app, keys, key, otherTenantKey, reviewerKey, secondReviewerKey, adminKey };
}

/** The app on a real socket (port 0 on loopback): for streams, the SDK and MCP, which need a URL. */
export async function listen(app: Express): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A test file's cluster and API, with requests made under the `default` tenant's key unless told otherwise. */
export interface TestApiContext extends TestApi {
  readonly cluster: TestCluster;
  /** The Authorization header for `key`, the `default` tenant's key when omitted. */
  auth(key?: string): { authorization: string };
  get(path: string, key?: string): request.Test;
  /** A POST with `body` sent as JSON (a string as it is); no body at all when it is undefined. */
  post(path: string, body?: string | object, key?: string): request.Test;
}

/**
 * Starts a test cluster and the API over it before the file's tests, and stops the cluster after
 * them. The context's fields are there once `beforeAll` has run, that is, inside tests and hooks.
 */
export function useTestApi(
  opts: TestApiOptions & { cluster?: Parameters<typeof TestCluster.start>[0] } = {},
): TestApiContext {
  let cluster: TestCluster | undefined;
  let api: TestApi | undefined;
  beforeAll(async () => {
    cluster = await TestCluster.start(opts.cluster);
    api = createTestApi(cluster, opts);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  const started = (): { cluster: TestCluster; api: TestApi } => {
    if (!cluster || !api) throw new Error('the test API is used before its beforeAll has run');
    return { cluster, api };
  };
  const context: TestApiContext = {
    get cluster() {
      return started().cluster;
    },
    get app() {
      return started().api.app;
    },
    get keys() {
      return started().api.keys;
    },
    get key() {
      return started().api.key;
    },
    get otherTenantKey() {
      return started().api.otherTenantKey;
    },
    get reviewerKey() {
      return started().api.reviewerKey;
    },
    get secondReviewerKey() {
      return started().api.secondReviewerKey;
    },
    get adminKey() {
      return started().api.adminKey;
    },
    auth: (key) => ({ authorization: `Bearer ${key ?? context.key}` }),
    get: (path, key) => request(context.app).get(path).set(context.auth(key)),
    post: (path, body, key) => {
      const call = request(context.app).post(path).set(context.auth(key));
      return body === undefined ? call : call.send(body);
    },
  };
  return context;
}
